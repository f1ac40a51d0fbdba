"""The core's lifecycle, with real processes: start, serve, refuse a twin, stop cleanly."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pajamas import launcher
from pajamas.errors import CoreNotRunning, HubTimeout, TooLarge
from pajamas.rpc import connection
from pajamas.rpc.client import Client
from tests.conftest import HELD_S, PATIENCE_S, PATIENT, RunningCore, core_env, start, stop


def test_connection_file_is_private_and_keyed(core: RunningCore) -> None:
    path = core.home / "run" / "core.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(core.info.key) == 64 and int(core.info.key, 16) >= 0
    assert core.info.signature_scheme == "hmac-sha256" and core.info.pid == core.process.pid


def test_sigterm_stops_cleanly_and_removes_the_file(home: Path) -> None:
    # How fast it stops is the benchmark shutdown.core_stop's to say.
    running = start(home)
    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(timeout=PATIENCE_S) == 0
    assert not (home / "run" / "core.json").exists()


# A core that asks itself to stop once it serves, then reports what a further SIGTERM or
# SIGINT would do while the process exits.
STOPPED_CORE = """
import os, signal, sys
from pathlib import Path
from pajamas.app import Core
from pajamas.config import load_settings

class SelfStopping(Core):
    def start(self):
        info = super().start()
        os.kill(os.getpid(), signal.SIGTERM)
        return info

home = Path(sys.argv[1])
SelfStopping(home, load_settings(home)).serve_until_signal()
print([signal.getsignal(s) is signal.SIG_IGN for s in (signal.SIGTERM, signal.SIGINT)])
"""


def test_a_stopped_core_ignores_further_sigterms_while_it_exits(home: Path) -> None:
    # A service manager (or a test and its fixture) may ask twice.  Python's finalization
    # puts back the default action, death, for the signals it handled: a second SIGTERM in
    # the last steps of the exit ended the core with status -15 on a busy machine.
    done = subprocess.run([sys.executable, "-c", STOPPED_CORE, str(home)], env=core_env(home),
                          capture_output=True, text=True, timeout=PATIENCE_S, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[True, True]", done.stdout
    assert not (home / "run" / "core.json").exists()  # it stopped the clean way


def test_sigint_stops_cleanly_too(home: Path) -> None:
    running = start(home)
    running.process.send_signal(signal.SIGINT)
    assert running.process.wait(timeout=PATIENCE_S) == 0


def test_in_flight_reply_is_finished_on_shutdown(home: Path) -> None:
    running = start(home, **PATIENT)
    with running.client() as client:
        rid = client.submit("debug.sleep", {"seconds": HELD_S})  # ends only when the core stops
        # Requests on one socket are taken in order: once the ping is answered, the core has
        # the sleep in flight.
        assert client.call("system.ping")["pong"] is True
        running.process.send_signal(signal.SIGTERM)
        reply = client.receive()
    assert reply.id == rid and reply.result == {"slept": HELD_S}
    assert running.process.wait(timeout=PATIENCE_S) == 0


def test_a_second_core_refuses_with_a_clear_message(core: RunningCore) -> None:
    twin = subprocess.run([sys.executable, "-m", "pajamas", "core"], env=core_env(core.home),
                          capture_output=True, text=True, timeout=PATIENCE_S)
    assert twin.returncode == launcher.EXIT_ALREADY_RUNNING
    assert "already running" in twin.stderr and str(core.process.pid) in twin.stderr
    assert connection.read(core.home).pid == core.process.pid  # the first core's file is intact


def test_stale_file_of_a_crashed_core_is_replaced(home: Path) -> None:
    crashed = start(home)
    os.kill(crashed.process.pid, signal.SIGKILL)
    crashed.process.wait(timeout=PATIENCE_S)
    assert (home / "run" / "core.json").exists()  # a crash leaves it behind
    fresh = start(home)
    try:
        assert fresh.info.pid != crashed.info.pid and fresh.info.key != crashed.info.key
        with fresh.client() as client:
            assert client.call("system.ping")["pong"] is True
    finally:
        assert stop(fresh.process) == 0


def test_ping_answers_while_slow_work_runs(patient_core: RunningCore) -> None:
    # How soon it answers is the benchmark rpc.roundtrip_busy's to say.
    with patient_core.client() as client:
        for _ in range(4):  # both workers held until the core stops, and two more waiting
            client.submit("debug.sleep", {"seconds": HELD_S})
        assert client.call("system.ping")["pong"] is True


def test_a_call_to_a_dead_core_says_it_stopped(home: Path) -> None:
    running = start(home)
    client = running.client(timeout=0.5)
    os.kill(running.process.pid, signal.SIGKILL)
    running.process.wait(timeout=PATIENCE_S)
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
    first = launcher.ensure_core(home, env=env, start_timeout=PATIENCE_S)
    try:
        assert first.process is not None
        second = launcher.ensure_core(home, env=env, start_timeout=PATIENCE_S)
        assert second.process is None  # reused, not started again
        assert second.client.call("system.info")["pid"] == first.process.pid
        second.close()
    finally:
        first.close(timeout=PATIENCE_S)
    assert first.process.returncode == 0


def test_a_wait_notices_the_core_died_before_its_timeout(home: Path) -> None:
    # How soon it notices is the benchmark rpc.dead_core_notice's to say.
    running = start(home, **PATIENT)
    client = running.client(timeout=PATIENCE_S)
    try:
        client.submit("debug.sleep", {"seconds": HELD_S})  # no reply comes before the kill
        assert client.call("system.ping")["pong"] is True  # the sleep is in flight
        # The kill lands just before the wait or during it: either way only a check of the
        # process can end the wait, since the reply never comes and the timeout is far off.
        threading.Thread(target=os.kill, args=(running.process.pid, signal.SIGKILL)).start()
        with pytest.raises(CoreNotRunning) as stopped:  # not HubTimeout: the wait saw it die
            client.receive()
        assert str(running.process.pid) in stopped.value.message
    finally:
        client.close()
        running.process.wait(timeout=PATIENCE_S)


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


def test_a_live_core_that_is_slow_gives_a_client_timeout(patient_core: RunningCore) -> None:
    with patient_core.client(timeout=0.3) as client:
        with pytest.raises(HubTimeout) as caught:  # the core neither answers nor times out
            client.call("debug.sleep", {"seconds": HELD_S})
        assert "debug.sleep" in caught.value.message and "0.3 s" in caught.value.message
        # A reply that comes after its caller gave up is dropped, not handed to the next call:
        # a zero timeout gives up before the echo's reply can come, which it then does first.
        with pytest.raises(HubTimeout):
            client.call("debug.echo", {"value": "late"}, timeout=0)
        assert client.call("system.ping", timeout=PATIENCE_S)["pong"] is True


def test_a_request_too_large_to_read_fails_its_call_not_its_wait(client: Client) -> None:
    # The core cannot read the id of a request over its limit, so its refusal carries none:
    # the client ties it to the one request it has pending, which fails with the core's words
    # (before this, the call waited out its whole time-out and blamed the core).
    with pytest.raises(TooLarge) as caught:
        client.call("debug.echo", {"value": "x" * 70_000})
    assert caught.value.message.startswith("the request is ")
    assert client.call("debug.echo", {"value": "fits"})["value"] == "fits"
