"""The watchdog and the host's death: each kind of misbehaviour gets its own error (real hosts).

The full hostile matrix is tests/plugins/test_hostile.py; these are the quick checks of each
kill path, and of disabling after failures in a row.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pajamas.errors import Forbidden, HubTimeout, PluginFailed, QuotaExceeded
from pajamas.rpc.client import Client
from tests.conftest import RunningCore
from tests.plugins.running import call, install
from tests.plugins.test_call import events, runtime_core, until, write

BAD = """\
import ctypes, os, stat, time

def spin():
    while True:
        pass

def hog():
    chunks = []
    while True:
        chunks.append(bytearray(8 * 1024 * 1024))

def nap(s):
    time.sleep(s)
    return "awake"

def crash():
    ctypes.string_at(0)

def flood():
    for _ in range(1000):
        print("x" * 1000)
    time.sleep(5)

def forge():
    for fd in range(3, 64):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.write(fd, b"\\x00\\x00\\x00\\x05garbage")
        except OSError:
            continue
    time.sleep(5)

def freeze():
    import signal
    os.kill(os.getpid(), signal.SIGSTOP)

def fine():
    return "ok"
"""
FUNCTIONS = ("spin", "hog", "nap", "crash", "flood", "forge", "freeze", "fine")
QUOTAS = {"cpu_s": 1, "memory_mb": 64, "wall_s": 10, "output_kb": 16}


@pytest.fixture
def bad(home: Path, tmp_path: Path) -> Iterator[tuple[RunningCore, Client, str]]:
    """A core with the bad plugin enabled for a persona: (core, client, persona)."""
    folder = write(tmp_path / "bad", "bad", BAD, FUNCTIONS, quotas=QUOTAS)
    with (runtime_core(home, PAJAMAS_PLUGIN_MAX_FAILURES="50",
                      PAJAMAS_PLUGIN_HEARTBEAT_S="0.1") as running,
          running.client(timeout=30) as client):
        persona = client.call("persona.create", {"name": "Ada"})["id"]
        install(client, folder, persona)
        yield running, client, persona


def test_a_cpu_spin_is_stopped_at_its_cpu_quota(bad: tuple[RunningCore, Client, str]) -> None:
    running, client, persona = bad
    with events(running) as seen:
        with pytest.raises(QuotaExceeded) as caught:
            call(client, persona, "bad", "spin")
        killed = dict(until(seen, lambda got: "plugin.killed" in dict(got)))["plugin.killed"]
    assert caught.value.data["quota"] == "cpu_s" and caught.value.data["limit"] == 1
    assert caught.value.data["measured"] >= 1
    assert caught.value.data["persona"] == persona and caught.value.data["plugin"] == "bad"
    assert killed["reason"] == "quota" and killed["quota"] == "cpu_s"
    assert call(client, persona, "bad", "fine")["result"] == "ok"  # a fresh host


def test_a_memory_hog_is_stopped_at_its_memory_quota(
        bad: tuple[RunningCore, Client, str]) -> None:
    _, client, persona = bad
    with pytest.raises(QuotaExceeded, match="memory_mb") as caught:
        call(client, persona, "bad", "hog")
    assert caught.value.data["quota"] == "memory_mb" and caught.value.data["limit"] == 64


def test_a_call_past_its_wall_time_times_out(bad: tuple[RunningCore, Client, str]) -> None:
    _, client, persona = bad
    with pytest.raises(HubTimeout) as caught:
        call(client, persona, "bad", "nap", {"s": 30}, timeout_s=1)
    assert caught.value.data["limit_s"] == 1 and caught.value.data["wall_s"] >= 1
    assert call(client, persona, "bad", "nap", {"s": 0})["result"] == "awake"


def test_a_crash_reports_its_signal(bad: tuple[RunningCore, Client, str]) -> None:
    _, client, persona = bad
    with pytest.raises(PluginFailed) as caught:
        call(client, persona, "bad", "crash")
    assert caught.value.data["reason"] == "signal" and caught.value.data["signal"] == "SIGSEGV"


def test_an_output_flood_is_stopped_at_output_kb(bad: tuple[RunningCore, Client, str]) -> None:
    _, client, persona = bad
    with pytest.raises(QuotaExceeded) as caught:
        call(client, persona, "bad", "flood")
    assert caught.value.data["quota"] == "output_kb"


def test_a_forged_channel_frame_is_a_protocol_failure(
        bad: tuple[RunningCore, Client, str]) -> None:
    _, client, persona = bad
    with pytest.raises(PluginFailed) as caught:
        call(client, persona, "bad", "forge")
    assert caught.value.data["reason"] == "protocol"
    assert client.call("system.ping")["pong"] is True


def test_a_host_that_stops_responding_is_killed(bad: tuple[RunningCore, Client, str]) -> None:
    _, client, persona = bad
    with pytest.raises(PluginFailed) as caught:
        call(client, persona, "bad", "freeze")
    assert caught.value.data["reason"] == "heartbeat"


def test_failures_in_a_row_disable_the_plugin_for_the_persona(home: Path,
                                                              tmp_path: Path) -> None:
    folder = write(tmp_path / "bad", "bad", BAD, FUNCTIONS, quotas=QUOTAS)
    with (runtime_core(home, PAJAMAS_PLUGIN_MAX_FAILURES="2") as running,
          running.client(timeout=30) as client, events(running) as seen):
        persona = client.call("persona.create", {"name": "Ada"})["id"]
        install(client, folder, persona)
        for _ in range(2):
            with pytest.raises(PluginFailed):
                call(client, persona, "bad", "crash")
        disabled = dict(until(seen, lambda got: "plugin.disabled" in dict(got)))
        assert disabled["plugin.disabled"]["failures"] == 2
        assert client.call("plugin.enabled", {"persona": persona})["items"] == []
        with pytest.raises(Forbidden, match="not enabled"):
            call(client, persona, "bad", "fine")
        assert client.call("plugin.status")["items"][0]["kills"] == 2


LIMITED = """\
import os

def fork():
    while True:
        if os.fork() == 0:
            import time
            time.sleep(60)
            os._exit(0)

def open_many():
    return [os.open(f"f{n}", os.O_CREAT | os.O_WRONLY) for n in range(1000)]

def huge():
    with open("big.bin", "wb") as f:
        while True:
            f.write(b"x" * 1024 * 1024)
"""


# Each limit is set low alone: with open_files at 8 too, the forked child's copies of the
# host's descriptors can reach the watchdog's open_files check before the refused fork is
# reported, whenever a busy machine delays the host's answer.
@pytest.mark.parametrize(("function", "quota", "limit"), [
    ("fork", "processes", 1), ("open_many", "open_files", 8), ("huge", "disk_mb", 2)])
def test_kernel_limits_are_reported_as_quotas_with_what_was_measured(
        home: Path, tmp_path: Path, function: str, quota: str, limit: int) -> None:
    folder = write(tmp_path / "limited", "limited", LIMITED, ("fork", "open_many", "huge"),
                   quotas={quota: limit})
    with runtime_core(home) as running, running.client(timeout=30) as client:
        persona = client.call("persona.create", {"name": "Ada"})["id"]
        install(client, folder, persona)
        with pytest.raises(QuotaExceeded) as caught:
            call(client, persona, "limited", function)
    assert caught.value.data["quota"] == quota and caught.value.data["limit"] == limit
    assert caught.value.data["measured"] > 0
