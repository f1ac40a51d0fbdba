"""Fixtures shared by every test: temp homes, real cores in real subprocesses, and the data
that lives beside the repository in ../shared/data (tests marked `shared_data` alone use it).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from pajamas import launcher
from pajamas.rpc import connection
from pajamas.rpc.client import Client
from pajamas.rpc.connection import ConnectionInfo

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
    "PAJAMAS_WORKERS": "2",
    "PAJAMAS_SAMPLE_INTERVAL_S": "0.2",
}


@dataclass
class RunningCore:
    """A core process serving a temp home."""

    home: Path
    process: subprocess.Popen[bytes]
    info: ConnectionInfo

    def client(self, timeout: float = 10.0) -> Client:
        return Client(self.info, timeout=timeout)


def core_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a test core: the caller's, a temp home, the test settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAJAMAS_")}
    return {**env, **TEST_SETTINGS, "PAJAMAS_HOME": str(home), **extra}


def start(home: Path, **extra: str) -> RunningCore:
    """Start a core for home and wait until its connection file is written."""
    process = launcher.start_core(home, env=core_env(home, **extra))
    launcher.wait_ready(home, process, timeout=30)
    return RunningCore(home, process, connection.read(home))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh, empty home folder."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@contextmanager
def serving(home: Path) -> Iterator[RunningCore]:
    """A real core for home, stopped (and checked to exit 0) at the end of the block."""
    running = start(home)
    yield running
    assert launcher.stop_core(running.process) == 0, (home / "logs" / "core.out").read_text()


@pytest.fixture
def core(home: Path) -> Iterator[RunningCore]:
    """A real core in another process, stopped (and checked to exit 0) after the test."""
    with serving(home) as running:
        yield running


@pytest.fixture
def client(core: RunningCore) -> Iterator[Client]:
    """A client of the test core."""
    with core.client() as c:
        yield c


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, for tests marked `shared_data` (deselected by default; see pyproject)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"{SHARED_DATA} is missing: tests marked shared_data need it (make test runs "
                    "them only when it is there)", pytrace=False)
    return SHARED_DATA
