"""Fixtures shared by every test: temp homes, real cores in real subprocesses, and the data
that lives beside the repository in ../shared/data (tests marked `shared_data` alone use it).

Tests wait for events, never for time: a core's subscriber is live once a first event came
(`LiveSubscriber`), and the deadlines below only turn a hang into a failure.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest

from pajamas import launcher
from pajamas.rpc import connection
from pajamas.rpc.client import Client, Subscriber
from pajamas.rpc.connection import ConnectionInfo
from pajamas.rpc.protocol import Event

ROOT = Path(__file__).resolve().parents[1]
#: Data made by others that the project may not ship (LoCoMo, other tools' real files): CI has
#: it beside the clone; `make test` runs the tests marked `shared_data` only where it is.
SHARED_DATA = ROOT.parent / "shared" / "data"

# Small limits so that tests can reach them quickly.
TEST_SETTINGS = {
    "PAJAMAS_DEBUG_METHODS": "1",
    "PAJAMAS_MAX_MESSAGE_BYTES": str(64 * 1024),
    "PAJAMAS_REQUEST_TIMEOUT_S": "2.0",
    "PAJAMAS_MAX_PENDING_REQUESTS": "8",
    # A loaded test machine makes requests wait seconds for a worker: test cores shed by count,
    # and tests/rpc/test_admission.py sheds by wait where it means to.
    "PAJAMAS_MAX_QUEUE_WAIT_S": "60",
    "PAJAMAS_WORKERS": "2",
    "PAJAMAS_SAMPLE_INTERVAL_S": "0.2",
}
# Requests that never time out during a test, and a stop that waits for all of them: in such
# a core a debug.sleep of HELD_S holds its worker until the core stops (stopping ends every
# debug.sleep at once), so the test, not the clock, decides when slow work ends.
PATIENT = {"PAJAMAS_REQUEST_TIMEOUT_S": "3600", "PAJAMAS_SHUTDOWN_TIMEOUT_S": "60"}
HELD_S: Final = 600.0  # debug.sleep's maximum
# How long a test waits for something that should happen: only a guard against a hang, so
# generous enough for a machine whose cores are all busy.
PATIENCE_S: Final = 60.0
# A topic every test core publishes often (TEST_SETTINGS: every 0.2 s).
HEARTBEAT: Final = "monitor.sample"


class LiveSubscriber(Subscriber):
    """A `Subscriber` that is known to receive: it returns only once a first event came through.

    ZeroMQ sends a SUB socket's subscriptions to the PUB socket after connecting, and drops
    what is published before they arrive (the "slow joiner").  The subscriptions go out in
    order, the heartbeat topic last, so once a heartbeat event arrives every topic asked for
    is live.  Heartbeats are hidden from `receive` unless the topics ask for them; events of
    the asked topics that arrived before the first heartbeat are kept.
    """

    def __init__(self, info: ConnectionInfo, topics: tuple[str, ...] = ("",),
                 timeout: float = PATIENCE_S) -> None:
        self._hide = not any(HEARTBEAT.startswith(topic) for topic in topics)
        super().__init__(info, (*topics, HEARTBEAT) if self._hide else topics)
        self._early: deque[Event] = deque()
        self._wait_for_heartbeat(timeout)

    def _wait_for_heartbeat(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            event = super().receive(timeout=left)
            if event is not None and event.topic == HEARTBEAT:
                if not self._hide:
                    self._early.append(event)
                return
            if event is not None:
                self._early.append(event)
        self.close()
        raise AssertionError(f"no {HEARTBEAT} event within {timeout:g} s: is the monitor up?")

    def receive(self, timeout: float | None = None) -> Event | None:
        """The next event of the asked topics, or None after timeout seconds."""
        if self._early:
            return self._early.popleft()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            event = super().receive(timeout=left)
            if event is None or not (self._hide and event.topic == HEARTBEAT):
                return event


@dataclass
class RunningCore:
    """A core process serving a temp home."""

    home: Path
    process: subprocess.Popen[bytes]
    info: ConnectionInfo

    def client(self, timeout: float = PATIENCE_S) -> Client:
        return Client(self.info, timeout=timeout)

    def subscribe(self, *topics: str) -> LiveSubscriber:
        """A live subscriber to the core's events under topics (all when none are given)."""
        return LiveSubscriber(self.info, topics or ("",))


def core_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a test core: the caller's, a temp home, the test settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAJAMAS_")}
    return {**env, **TEST_SETTINGS, "PAJAMAS_HOME": str(home), **extra}


def start(home: Path, **extra: str) -> RunningCore:
    """Start a core for home and wait until its connection file is written."""
    process = launcher.start_core(home, env=core_env(home, **extra))
    launcher.wait_ready(home, process, timeout=PATIENCE_S)
    return RunningCore(home, process, connection.read(home))


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM a test core and wait for its exit code, not only the launcher's 6 s before a kill.

    On a machine whose cores are all busy a clean stop can take longer than that.
    """
    return launcher.stop_core(process, timeout=PATIENCE_S)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh, empty home folder."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@contextmanager
def serving(home: Path, **extra: str) -> Iterator[RunningCore]:
    """A real core for home, stopped (and checked to exit 0) at the end of the block."""
    running = start(home, **extra)
    try:
        yield running
    except BaseException:
        stop(running.process)  # a failed test must not leave its core running
        raise
    assert stop(running.process) == 0, (home / "logs" / "core.out").read_text()


@pytest.fixture
def core(home: Path) -> Iterator[RunningCore]:
    """A real core in another process, stopped (and checked to exit 0) after the test."""
    with serving(home) as running:
        yield running


@pytest.fixture
def patient_core(home: Path) -> Iterator[RunningCore]:
    """A core whose requests never time out during a test (`PATIENT`), stopped after it."""
    with serving(home, **PATIENT) as running:
        yield running


@pytest.fixture
def client(core: RunningCore) -> Iterator[Client]:
    """A client of the test core."""
    with core.client() as c:
        yield c


# The model export (torch, then int8 quantization) runs in the set-up of the first test that
# needs it when this machine has none yet: minutes of CPU on a busy machine (4 min at a load of
# 17 on 2 cores), past the suite's 120 s guard for one test.  That test alone gets a guard that
# allows for it.
EXPORT_GUARD_S: Final = 900


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give the first test that needs the exported model the time to export it."""
    first = next((item for item in items if "model_dir" in getattr(item, "fixturenames", ())),
                 None)
    if first is not None:
        first.add_marker(pytest.mark.timeout(EXPORT_GUARD_S))


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The shipped all-MiniLM-L6-v2 exported to ONNX: the machine's one export, which the perf
    suite and the window's tests use too (made here, once, if this machine has none)."""
    from pajamas.perf.benchmarks.memory import model_folder

    return model_folder()


def exported_model() -> dict[str, str]:
    """PAJAMAS_EMBEDDING_MODEL_DIR for a test core when the machine's export exists, so its
    memory calls do not export the model again (else nothing: the core exports its own)."""
    from pajamas.embedding.export import is_exported
    from pajamas.perf.benchmarks.memory import MODEL_FOLDER

    return {"PAJAMAS_EMBEDDING_MODEL_DIR": str(MODEL_FOLDER)} if is_exported(MODEL_FOLDER) else {}


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, for tests marked `shared_data` (deselected by default; see pyproject)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"{SHARED_DATA} is missing: tests marked shared_data need it (make test runs "
                    "them only when it is there)", pytrace=False)
    return SHARED_DATA
