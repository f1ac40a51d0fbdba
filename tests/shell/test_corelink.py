"""The window's link to its core: found or started on a thread, stopped only if started here."""

from __future__ import annotations

import contextlib
import signal
import time
from pathlib import Path

import psutil
import pytest

from pajamas.errors import CoreNotRunning, HubError
from pajamas.rpc import connection
from pajamas.shell.bridge import Bridge
from pajamas.shell.corelink import CoreLink, warm_info
from pajamas.shell.pool import CallPool
from tests.conftest import PATIENCE_S, RunningCore


def test_starts_a_core_when_none_runs_and_stops_it_on_close(home: Path) -> None:
    link = CoreLink(home, start_timeout=30)
    link.start()
    handle = link.handle()
    assert handle.process is not None
    pid = handle.process.pid
    assert link.client().call("system.ping")["pong"] is True
    link.close()
    assert handle.process.poll() == 0
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    with pytest.raises(CoreNotRunning):
        connection.read(home)


def test_uses_a_running_core_and_leaves_it_running(core: RunningCore) -> None:
    link = CoreLink(core.home, start_timeout=30)
    link.start()
    assert link.handle().process is None
    assert link.client().info.pid == core.process.pid
    link.close()
    assert core.process.poll() is None
    assert connection.read(core.home).pid == core.process.pid


def live_cores() -> list[int]:
    """The pids of the `pajamas core` processes this test process started that still run."""
    pids = []
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error):  # it exited meanwhile
            if (child.cmdline()[-2:] == ["pajamas", "core"]
                    and child.status() != psutil.STATUS_ZOMBIE):
                pids.append(child.pid)
    return pids


def test_closing_while_the_core_starts_leaves_no_core(home: Path) -> None:
    link = CoreLink(home, start_timeout=30)
    link.start()
    deadline = time.monotonic() + PATIENCE_S
    while not live_cores():  # the core process exists but does not answer yet
        assert time.monotonic() < deadline
        time.sleep(0.001)
    link.close()
    assert live_cores() == []
    with pytest.raises(CoreNotRunning):
        connection.read(home)


def test_a_core_that_cannot_start_fails_every_call_with_why(home: Path) -> None:
    (home / "settings.toml").write_text("workers = 'many'\n")  # the core refuses to start
    link = CoreLink(home, start_timeout=30)
    link.start()
    with pytest.raises(HubError, match="exited with code 2"):
        link.handle()
    envelope = Bridge(link.client, CallPool(1)).call("system.ping")
    assert envelope["ok"] is False
    assert envelope["error"]["code"] == "not_found"
    assert "exited with code 2" in envelope["error"]["message"]
    link.close()


def test_a_stopped_core_is_replaced_and_calls_reach_the_new_one(home: Path) -> None:
    states: list[tuple[str, str]] = []
    link = CoreLink(home, start_timeout=30, on_state=lambda *s: states.append(s))
    link.start()
    handle = link.handle()
    assert handle.process is not None
    old_key = connection.read(home).key
    handle.process.send_signal(signal.SIGTERM)
    handle.process.wait(PATIENCE_S)
    envelope = Bridge(link.client, CallPool(1)).call("system.info")
    assert envelope["ok"] is True, envelope
    assert envelope["result"]["pid"] != handle.process.pid  # a new core, a new connection file
    assert connection.read(home).key != old_key
    assert link.generation == 1
    assert [state for state, _ in states][-2:] == ["reconnecting", "connected"]
    new = link.handle()
    link.close()
    assert new.process is not None and new.process.poll() == 0  # the new one is stopped too


def test_a_core_found_running_is_watched_too(core: RunningCore) -> None:
    link = CoreLink(core.home, start_timeout=30)
    link.start()
    assert link.client().call("system.ping")["pong"] is True
    core.process.send_signal(signal.SIGTERM)
    core.process.wait(PATIENCE_S)
    assert link.client().info.pid != core.process.pid  # the link started a new core
    link.close()
    with pytest.raises(CoreNotRunning):
        connection.read(core.home)


def test_close_without_start_does_nothing(core: RunningCore, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    running = live_cores()
    CoreLink(empty, start_timeout=1).close()
    CoreLink(core.home, start_timeout=1).close()
    assert list(empty.iterdir()) == []  # no core was started for it, no file written
    assert live_cores() == running  # none started, none stopped
    assert core.process.poll() is None
    assert connection.read(core.home).pid == core.process.pid
    with core.client() as client:
        assert client.call("system.ping")["pong"] is True


def test_the_shell_asks_the_monitor_to_sample_it(core: RunningCore) -> None:
    import os

    link = CoreLink(core.home, start_timeout=30)
    link.start()
    client = link.client()
    deadline = time.monotonic() + PATIENCE_S
    watched: list[int] = []
    while time.monotonic() < deadline and os.getpid() not in watched:
        snapshot = client.call("monitor.snapshot")
        watched = [p["pid"] for p in snapshot["processes"] if p.get("role") == "shell"]
        time.sleep(0.2)
    link.close()
    assert os.getpid() in watched, snapshot


def test_the_warm_up_returns_once_the_sandbox_is_probed(core: RunningCore) -> None:
    """system.info's first answer waits for a probe host; the link's warm-up (run while the
    page loads) returns only once the plugin runtime has probed, so the page's call finds it
    done.  The probe's template process is the core's child from then on."""
    with core.client() as client:
        warm_info(client)  # nobody else asks the core for its info
        template = [child for child in psutil.Process(core.process.pid).children()
                    if "pajamas.plugins.host.template" in " ".join(child.cmdline())]
        assert template, "the warm-up returned before the sandbox was probed"
