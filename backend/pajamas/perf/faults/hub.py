"""`KillableHub`: a real core for one home that a scenario kills with SIGKILL and starts again."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Final, final

from pajamas import launcher
from pajamas.perf.cores import core_env
from pajamas.rpc import connection
from pajamas.rpc.client import Client

START_S: Final = 120.0  # a guard against a hang: a busy 2-core machine starts a core slowly
CALL_S: Final = 120.0  # the first memory call of a core waits for LanceDB and the model


@final
class KillableHub:
    """A `pajamas core` for home with settings, as PAJAMAS_* variables; not started yet."""

    def __init__(self, home: Path, settings: Mapping[str, str]) -> None:
        self.home = home
        self._env = core_env(**settings)
        self.process: subprocess.Popen[bytes] | None = None
        self.killed_at: float | None = None  # time.monotonic() of the last kill

    def start(self) -> Client:
        """Start the core, wait for its connection file; a client of it."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.process = launcher.start_core(self.home, env=self._env)
        launcher.wait_ready(self.home, self.process, timeout=START_S)
        return self.client()

    def client(self) -> Client:
        """A new client of the running core (one per thread keeps the threads apart)."""
        return Client(connection.read(self.home), timeout=CALL_S)

    @property
    def pid(self) -> int:
        """The running core's process id."""
        if self.process is None:
            raise RuntimeError("the hub has not been started")
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL the core (its children are its own to lose) and reap it."""
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGKILL)
        self.killed_at = time.monotonic()
        self.process.wait(START_S)

    def since_kill(self) -> float:
        """Seconds since the last kill (0 when never killed)."""
        return 0.0 if self.killed_at is None else time.monotonic() - self.killed_at

    def stop(self) -> int | None:
        """Stop the core cleanly if it runs; its exit code."""
        if self.process is None or self.process.poll() is not None:
            return None
        return launcher.stop_core(self.process, timeout=START_S)

    def log_tail(self, lines: int = 20) -> str:
        """The end of the core's output, for a failure's message."""
        path = self.home / "logs" / "core.out"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@contextmanager
def killable(home: Path, settings: Mapping[str, str]) -> Iterator[KillableHub]:
    """A `KillableHub`, stopped (or left killed) at the end of the block."""
    hub = KillableHub(home, settings)
    try:
        yield hub
    finally:
        if hub.process is not None and hub.process.poll() is None:
            hub.stop()
