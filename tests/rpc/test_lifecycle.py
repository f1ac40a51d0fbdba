"""The core's lifecycle, with real processes: start, serve, refuse a twin, stop cleanly."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

from pajamas import launcher
from pajamas.errors import CoreNotRunning, HubTimeout
from pajamas.rpc import connection
from pajamas.rpc.client import Client
from tests.conftest import RunningCore, core_env, start


def test_connection_file_is_private_and_keyed(core: RunningCore) -> None:
    path = core.home / "run" / "core.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(core.info.key) == 64 and int(core.info.key, 16) >= 0
    assert core.info.signature_scheme == "hmac-sha256" and core.info.pid == core.process.pid


def test_sigterm_stops_within_5s_and_removes_the_file(home: Path) -> None:
    running = start(home)
    started = time.monotonic()
    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(timeout=5) == 0
    assert time.monotonic() - started < 5
    assert not (home / "run" / "core.json").exists()


def test_sigint_stops_cleanly_too(home: Path) -> None:
    running = start(home)
    running.process.send_signal(signal.SIGINT)
    assert running.process.wait(timeout=5) == 0


def test_in_flight_reply_is_finished_on_shutdown(home: Path) -> None:
    running = start(home)
    with running.client() as client:
        rid = client.submit("debug.sleep", {"seconds": 1.0})
        time.sleep(0.2)
        running.process.send_signal(signal.SIGTERM)
        reply = client.receive(timeout=5)
    assert reply.id == rid and reply.result == {"slept": 1.0}
    assert running.process.wait(timeout=5) == 0


def test_a_second_core_refuses_with_a_clear_message(core: RunningCore) -> None:
    twin = subprocess.run([sys.executable, "-m", "pajamas", "core"], env=core_env(core.home),
                          capture_output=True, text=True, timeout=30)
    assert twin.returncode == launcher.EXIT_ALREADY_RUNNING
    assert "already running" in twin.stderr and str(core.process.pid) in twin.stderr
    assert connection.read(core.home).pid == core.process.pid  # the first core's file is intact


def test_stale_file_of_a_crashed_core_is_replaced(home: Path) -> None:
    crashed = start(home)
    os.kill(crashed.process.pid, signal.SIGKILL)
    crashed.process.wait(timeout=5)
    assert (home / "run" / "core.json").exists()  # a crash leaves it behind
    fresh = start(home)
    try:
        assert fresh.info.pid != crashed.info.pid and fresh.info.key != crashed.info.key
        with fresh.client() as client:
            assert client.call("system.ping")["pong"] is True
    finally:
        assert launcher.stop_core(fresh.process) == 0


def test_ping_answers_while_slow_work_runs(client: Client) -> None:
    slow = threading.Thread(target=client.call, args=("debug.sleep", {"seconds": 1.5}))
    slow.start()
    time.sleep(0.1)
    started = time.monotonic()
    assert client.call("system.ping", timeout=1.0)["pong"] is True
    assert time.monotonic() - started < 1.0
    slow.join()


def test_a_call_to_a_dead_core_says_it_stopped(home: Path) -> None:
    running = start(home)
    client = running.client(timeout=0.5)
    os.kill(running.process.pid, signal.SIGKILL)
    running.process.wait(timeout=5)
    try:
        client.call("system.ping")
    except CoreNotRunning as exc:
        assert "system.ping" in exc.message and "has stopped" in exc.message
    else:
        raise AssertionError("a call to a dead core must time out")
    finally:
        client.close()


def test_ensure_core_starts_and_reuses(home: Path) -> None:
    env = core_env(home)
    first = launcher.ensure_core(home, env=env)
    try:
        assert first.process is not None
        second = launcher.ensure_core(home, env=env)
        assert second.process is None  # reused, not started again
        assert second.client.call("system.info")["pid"] == first.process.pid
        second.close()
    finally:
        first.close()
    assert first.process.returncode == 0


def test_a_wait_notices_the_core_died_within_seconds(home: Path) -> None:
    running = start(home)
    client = running.client(timeout=30)
    client.submit("debug.sleep", {"seconds": 20})
    killer = threading.Timer(0.3, os.kill, (running.process.pid, signal.SIGKILL))
    killer.start()
    started = time.monotonic()
    try:
        client.receive()
    except CoreNotRunning as exc:
        assert str(running.process.pid) in exc.message
    else:
        raise AssertionError("a wait on a dead core must fail")
    finally:
        client.close()
        running.process.wait(timeout=5)
    assert time.monotonic() - started < 10  # not the 30 s time-out


def test_sockets_of_finished_threads_are_closed(client: Client) -> None:
    import psutil

    def one_call() -> None:
        client.call("system.ping")

    before = psutil.Process().num_fds()
    for _ in range(40):
        worker = threading.Thread(target=one_call)
        worker.start()
        worker.join()
    assert psutil.Process().num_fds() - before < 10


def test_a_live_core_that_is_slow_gives_a_client_timeout(core: RunningCore) -> None:
    with core.client(timeout=0.3) as client:
        try:
            client.call("debug.sleep", {"seconds": 1.0})
        except HubTimeout as exc:
            assert "debug.sleep" in exc.message and "0.3 s" in exc.message
        else:
            raise AssertionError("the client must give up after its time-out")
        assert client.call("system.ping")["pong"] is True  # the late reply is dropped
