"""Hostile plugins against a real core: each is stopped with the right error, and nothing else
is touched.

One core serves the whole module.  Eve runs the hostile plugins (tests/plugins/hostile/); Ada
runs text-stats and owns a memory written before any of them started.  While each hostile
call runs, a bystander pings the core and calls text-stats for Ada; afterwards Ada's memory
must be intact.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from pajamas.errors import Forbidden, HubError, HubTimeout, PluginFailed, QuotaExceeded
from pajamas.rpc.client import Client, Subscriber
from tests.conftest import PATIENCE_S, RunningCore
from tests.plugins.conftest import TEXT_STATS
from tests.plugins.running import (
    HOSTILE,
    SAMPLE,
    SAMPLE_COUNT,
    bystander,
    call,
    fresh_sample,
    install,
    plugin_core,
    survivors,
    tcp_server,
)

SECRET = "Ada's diary: the vault code is 4711"
# Hostile calls fail on purpose, many times in a row: keep them enabled for this module.
NEVER_DISABLE = {"PAJAMAS_PLUGIN_MAX_FAILURES": "1000"}


@dataclass
class Hub:
    """The module's core, its client, the victim Ada and the attacker Eve."""

    core: RunningCore
    client: Client
    ada: str
    eve: str
    secret_id: str

    @property
    def home(self) -> Path:
        return self.core.home


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A core with every hostile plugin enabled for Eve and text-stats for Ada."""
    home = tmp_path_factory.mktemp("hostile") / "home"
    home.mkdir()
    with plugin_core(home, **NEVER_DISABLE) as core, core.client(timeout=60) as client:
        ada = client.call("persona.create", {"name": "Ada"})["id"]
        eve = client.call("persona.create", {"name": "Eve"})["id"]
        secret_id = client.call("memory.add", {"persona": ada, "text": SECRET})["id"]
        install(client, TEXT_STATS, ada)
        for folder in sorted(HOSTILE.iterdir()):
            install(client, folder, eve)
        yield Hub(core, client, ada, eve, secret_id)
        _assert_nothing_lost(client, ada, secret_id)


def _assert_nothing_lost(client: Client, ada: str, secret_id: str) -> None:
    assert client.call("memory.get", {"persona": ada, "id": secret_id})["text"] == SECRET
    assert client.call("memory.list", {"persona": ada})["total"] == 1
    assert call(client, ada, "text-stats", "count", {"text": SAMPLE})["result"] == SAMPLE_COUNT


def attack(hub: Hub, name: str, function: str, args: dict[str, Any] | None = None,
           expected: type[HubError] | tuple[type[HubError], ...] = PluginFailed) -> HubError:
    """Call the hostile plugin's function for Eve while a bystander watches; its error."""
    with bystander(hub.core, hub.ada), pytest.raises(expected) as caught:
        reply = call(hub.client, hub.eve, name, function, args)
        pytest.fail(f"{name}.{function} answered {reply!r} instead of raising {expected}")
    error = caught.value
    assert error.data["persona"] == hub.eve and error.data["plugin"] == name, error.data
    return error


def assert_quota(error: HubError, quota: str, limit: int) -> None:
    """The error names the quota and its limit, and the value measured at the breach."""
    assert error.data["quota"] == quota, error.data
    assert error.data["limit"] == limit, error.data
    measured = error.data["measured"]
    assert isinstance(measured, int | float) and measured >= limit, error.data


def test_a_memory_hog_is_stopped_at_its_memory_quota(hub: Hub) -> None:
    error = attack(hub, "memory-hog", "grow", expected=QuotaExceeded)
    assert_quota(error, "memory_mb", 64)
    assert "memory" in error.message and "64" in error.message


@pytest.mark.parametrize("function", ["spin", "spin_c"])
def test_a_cpu_spin_is_stopped_at_its_cpu_quota(hub: Hub, function: str) -> None:
    error = attack(hub, "cpu-spin", function, expected=QuotaExceeded)
    assert_quota(error, "cpu_s", 1)


def test_a_sleeper_is_stopped_at_its_wall_time(hub: Hub) -> None:
    error = attack(hub, "sleeper", "sleep", {"seconds": 60}, expected=HubTimeout)
    assert error.data["limit_s"] == 1, error.data
    assert error.data["wall_s"] >= 1, error.data


def test_a_shorter_timeout_of_the_call_wins(hub: Hub) -> None:
    with pytest.raises(HubTimeout) as caught:
        call(hub.client, hub.eve, "sleeper", "sleep", {"seconds": 60}, timeout_s=0.5)
    assert caught.value.data["limit_s"] == 0.5, caught.value.data


@pytest.mark.parametrize("function", ["fork", "spawn"])
def test_a_fork_bomb_is_stopped_at_its_process_quota(hub: Hub, function: str) -> None:
    error = attack(hub, "fork-bomb", function, expected=QuotaExceeded)
    assert_quota(error, "processes", 2)
    assert survivors("pjs-bomb-child") == []


def test_with_a_quota_of_0_a_fork_fails_inside_the_host(hub: Hub) -> None:
    """The outside plugin's pattern: fork in a loop, catch the refusals, return normally.

    The kernel refuses every fork (the host's seccomp filter), so nothing exceeds the quota
    and the call succeeds, reporting that no child started; none survives it.
    """
    for _ in range(3):
        result = call(hub.client, hub.eve, "quiet-forker", "fork", {"attempts": 8})["result"]
        assert result == {"started": 0, "refused": ["PermissionError"]}, result
    assert survivors("pjs-quiet-child", wait_s=0) == []


def test_with_a_quota_of_0_subprocess_run_fails_cleanly(hub: Hub) -> None:
    result = call(hub.client, hub.eve, "quiet-forker", "run_subprocess")["result"]
    assert result == {"ran": False, "error": "PermissionError", "errno": errno.EPERM}, result


def test_with_a_quota_of_0_threads_still_work(hub: Hub) -> None:
    assert call(hub.client, hub.eve, "quiet-forker", "thread")["result"].startswith("from ")


def test_processes_left_over_the_quota_when_a_call_returns_fail_it(hub: Hub) -> None:
    """5 sleepers (in sessions of their own) with a quota of 2: the call that returns
    normally gets quota_exceeded, and no sleeper outlives it."""
    error = attack(hub, "few-forker", "fork", expected=QuotaExceeded)
    assert_quota(error, "processes", 2)
    assert error.data["measured"] == 5, error.data
    assert "processes" in error.message and "raise quotas.processes" in error.message
    assert survivors("pjs-few-child") == []
    # Within the quota, children may outlive a call; one more is counted with them.
    assert call(hub.client, hub.eve, "few-forker", "fork", {"children": 2})["result"] == {
        "started": 2, "refused": []}
    error = attack(hub, "few-forker", "fork", {"children": 1}, expected=QuotaExceeded)
    assert error.data["measured"] == 3, error.data
    assert survivors("pjs-few-child") == []


@pytest.mark.parametrize("function", ["huge", "many"])
def test_a_disk_filler_is_stopped_at_its_disk_quota(hub: Hub, function: str) -> None:
    error = attack(hub, "disk-filler", function, expected=QuotaExceeded)
    assert_quota(error, "disk_mb", 4)


def test_a_file_opener_is_stopped_at_its_open_files_quota(hub: Hub) -> None:
    error = attack(hub, "file-opener", "open_many", expected=QuotaExceeded)
    assert_quota(error, "open_files", 16)


@pytest.mark.parametrize("function", ["flood", "flood_fd", "big_result"])
def test_a_flood_of_output_is_stopped_at_its_output_quota(hub: Hub, function: str) -> None:
    error = attack(hub, "stdout-flooder", function, expected=QuotaExceeded)
    assert_quota(error, "output_kb", 64)


def test_a_plugin_without_network_reaches_nothing(hub: Hub) -> None:
    with tcp_server() as server, bystander(hub.core, hub.ada):
        report = call(hub.client, hub.eve, "net-client", "probe", {"port": server.port})
    assert report["result"]["reached"] == [], report["result"]
    assert server.accepted == 0


def test_a_snooper_reads_lists_and_writes_nothing_outside_its_folders(hub: Hub) -> None:
    others = [str(p) for p in (hub.home / "memory").rglob("*") if p.is_file()][:20]
    assert others, "Ada's memory should be on disk"
    with bystander(hub.core, hub.ada):
        report = call(hub.client, hub.eve, "snooper", "snoop",
                      {"home": str(hub.home), "user_home": str(Path.home()),
                       "others": others})["result"]
    assert report["read"] == [] and report["listed"] == [], report
    assert report["wrote"] == [] and report["connected"] == [], report
    assert hub.core.info.key not in repr(report)
    assert not (hub.home / "pwned.txt").exists()
    assert not (Path.home() / "pwned.txt").exists()


def test_a_snooper_cannot_hear_the_hubs_events(hub: Hub) -> None:
    with bystander(hub.core, hub.ada):  # Ada's calls publish events meanwhile
        heard = call(hub.client, hub.eve, "snooper", "listen",
                     {"home": str(hub.home), "seconds": 2})["result"]
    assert heard == []


def test_a_snooper_cannot_search_memory_without_the_permission(hub: Hub) -> None:
    error = attack(hub, "snooper", "peek_memory", expected=Forbidden)
    assert "memory_read" in error.message


def test_a_thread_is_not_a_process(hub: Hub) -> None:
    assert call(hub.client, hub.eve, "crasher", "ok_thread")["result"] == "alive"


@pytest.mark.parametrize(("function", "signal"), [("segfault", "SIGSEGV"),
                                                  ("abort", "SIGABRT")])
def test_a_crash_is_reported_with_its_signal(hub: Hub, function: str, signal: str) -> None:
    error = attack(hub, "crasher", function)
    assert error.data["reason"] == "signal" and error.data["signal"] == signal, error.data
    assert call(hub.client, hub.eve, "crasher", "ok")["result"] == "alive"


def test_an_exit_and_an_exception_are_reported(hub: Hub) -> None:
    exited = attack(hub, "crasher", "exit", {"status": 3})
    assert exited.data["reason"] == "exit", exited.data
    raised = attack(hub, "crasher", "fail", {"message": "broken on purpose"})
    assert raised.data["reason"] == "exception", raised.data
    assert raised.data["exception"] == "RuntimeError"
    assert "broken on purpose" in raised.data["message"]
    assert "fail" in raised.data["traceback"]
    assert call(hub.client, hub.eve, "crasher", "ok")["result"] == "alive"


@pytest.mark.parametrize("function", ["garbage", "oversized", "malformed"])
def test_garbage_on_the_channel_stops_the_host(hub: Hub, function: str) -> None:
    error = attack(hub, "channel-abuser", function, expected=(PluginFailed, QuotaExceeded))
    if isinstance(error, QuotaExceeded):  # a garbage header announces a frame over output_kb
        assert error.data["quota"] == "output_kb", error.data
    else:
        assert error.data["reason"] == "protocol", error.data


def test_a_forged_host_api_request_cannot_reach_another_persona(hub: Hub) -> None:
    with bystander(hub.core, hub.ada):
        try:
            call(hub.client, hub.eve, "channel-abuser", "forge", {"persona": hub.ada})
        except PluginFailed as failed:  # killed for breaking the protocol: as good
            assert failed.data["reason"] == "protocol", failed.data
    ada = hub.client.call("memory.list", {"persona": hub.ada})
    assert [m["text"] for m in ada["items"]] == [SECRET]


def test_an_escaper_can_neither_lift_its_limits_nor_signal_others(hub: Hub) -> None:
    text, _ = fresh_sample()  # a text no call sent before reaches a host, warm for Ada
    call(hub.client, hub.ada, "text-stats", "count", {"text": text})
    (ada_host,) = hub.client.call("plugin.status", {"persona": hub.ada})["items"]
    victims = {"the core": hub.core.process.pid, "Ada's text-stats host": ada_host["pid"],
               "the test": os.getpid()}
    with bystander(hub.core, hub.ada):
        report = call(hub.client, hub.eve, "escaper", "escape", {"victims": victims})["result"]
    reachable = {pid: _describe(pid) for pid in report["signalable"]}
    assert report["escaped"] == [] and reachable == {}, (report["escaped"], reachable)


def _describe(pid: int) -> str:
    try:
        process = psutil.Process(pid)
        return f"{process.name()} {' '.join(process.cmdline())[:100]}"
    except psutil.Error as exc:
        return type(exc).__name__


def test_four_hostile_plugins_at_once_are_each_stopped(hub: Hub) -> None:
    attacks = {("memory-hog", "grow"): QuotaExceeded, ("cpu-spin", "spin"): QuotaExceeded,
               ("sleeper", "sleep"): HubTimeout, ("stdout-flooder", "flood"): QuotaExceeded}
    caught: dict[tuple[str, str], object] = {}

    def run(name: str, function: str) -> None:
        try:
            call(hub.client, hub.eve, name, function)
        except HubError as exc:
            caught[name, function] = exc
        else:
            caught[name, function] = "returned"

    threads = [threading.Thread(target=run, args=key) for key in attacks]
    with bystander(hub.core, hub.ada):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    for key, expected in attacks.items():
        assert isinstance(caught.get(key), expected), (key, caught.get(key))


def test_status_counts_the_kills_and_the_core_still_serves(hub: Hub) -> None:
    attack(hub, "cpu-spin", "spin", expected=QuotaExceeded)
    items = hub.client.call("plugin.status", {"persona": hub.eve})["items"]
    spin = next(item for item in items if item["name"] == "cpu-spin")
    assert spin["kills"] >= 1 and spin["persona"] == hub.eve
    kills = hub.client.call("plugin.kills", {"persona": hub.eve})["items"]
    last = next(kill for kill in kills if kill["name"] == "cpu-spin")
    assert last["reason"] == "quota" and last["quota"] == "cpu_s" and last["limit"] == 1
    assert "cpu_s" in last["message"] and last["time"] > 0
    assert all(item["persona"] == hub.eve for item in items)
    assert hub.client.call("system.ping")["pong"] is True
    _assert_nothing_lost(hub.client, hub.ada, hub.secret_id)


def test_failing_three_times_in_a_row_disables_the_plugin_and_says_why(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with plugin_core(home) as core, core.client(timeout=60) as client:
        eve = client.call("persona.create", {"name": "Eve"})["id"]
        install(client, HOSTILE / "crasher", eve)
        events = core.subscribe("plugin.")
        try:
            for _ in range(3):  # its own exceptions are answers, not failures
                with pytest.raises(PluginFailed, match="broke on purpose"):
                    call(client, eve, "crasher", "fail")
            assert client.call("plugin.enabled", {"persona": eve}) == {"items": ["crasher"]}
            for function in ("segfault", "abort", "exit"):
                with pytest.raises(PluginFailed):
                    call(client, eve, "crasher", function)
            seen = _events(events, until="plugin.disabled")
        finally:
            events.close()
        assert client.call("plugin.enabled", {"persona": eve}) == {"items": []}
        with pytest.raises(Forbidden, match="not enabled"):
            call(client, eve, "crasher", "ok")
        (why,) = client.call("plugin.kills", {"persona": eve})["disabled"]
        assert why["name"] == "crasher" and why["failures"] == 3
        client.call("plugin.enable", {"persona": eve, "name": "crasher"})
        assert client.call("plugin.kills", {"persona": eve})["disabled"] == []
    killed = [data for topic, data in seen if topic == "plugin.killed"]
    assert killed and killed[0]["reason"] == "signal" and killed[0]["name"] == "crasher"
    (disabled,) = [data for topic, data in seen if topic == "plugin.disabled"]
    assert disabled["persona"] == eve and disabled["failures"] == 3 and disabled["reason"]


def _events(events: Subscriber, until: str, timeout_s: float = PATIENCE_S,
            ) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    while not any(topic == until for topic, _ in seen) and time.monotonic() < deadline:
        event = events.receive(max(0.0, deadline - time.monotonic()))
        if event is not None:
            seen.append((event.topic, event.data))
    return seen
