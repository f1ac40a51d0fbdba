"""Finding or starting the core for a home, for the commands that are its clients.

`ensure_core` connects to the running core, or starts `python -m pajamas core` and waits until
it answers; the caller stops what it started with `stop_core`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pajamas.errors import CoreNotRunning, HubTimeout, NotFound
from pajamas.rpc import connection
from pajamas.rpc.client import Client, connect

EXIT_ALREADY_RUNNING: Final = 3
# How long a stopping core may take before it is killed.  It takes under a second on a quiet
# machine; on one whose cores are busy, stopping its plugin hosts and their template took
# over 6 s, and a kill leaves its connection file behind for the next start to clean up.
STOP_GRACE_S: Final = 30.0


@dataclass
class CoreHandle:
    """A client of the home's core, and the process if this program started it."""

    client: Client
    process: subprocess.Popen[bytes] | None

    def close(self, timeout: float = STOP_GRACE_S) -> None:
        """Close the client and stop the core if it was started here."""
        self.client.close()
        if self.process is not None:
            stop_core(self.process, timeout)


def ensure_core(home: Path, *, start_timeout: float = 15.0,
                env: dict[str, str] | None = None) -> CoreHandle:
    """Connect to the home's core, starting one when none answers."""
    try:
        return CoreHandle(connect(home), None)
    except CoreNotRunning:
        pass
    process = start_core(home, env=env)
    try:
        wait_ready(home, process, start_timeout)
    except BaseException:
        stop_core(process)
        raise
    if process.poll() == EXIT_ALREADY_RUNNING:  # another command started one meanwhile
        return CoreHandle(connect(home), None)
    return CoreHandle(connect(home), process)


@contextmanager
def command_client(home: Path, start_timeout: float) -> Iterator[Client]:
    """A client for one CLI command: the home's core, started for the command if none runs."""
    handle = ensure_core(home, start_timeout=start_timeout)
    try:
        yield handle.client
    finally:
        handle.close()


def command_call(home: Path, start_timeout: float, method: str,
                 params: dict[str, Any] | None = None) -> Any:
    """One call for a CLI command (see `command_client`)."""
    with command_client(home, start_timeout) as client:
        return client.call(method, params)


def find_persona(client: Client, persona: str) -> dict[str, Any]:
    """The persona a CLI command names, by name (any case) or else by id."""
    for key in ("name", "id"):
        try:
            found: dict[str, Any] = client.call("persona.get", {key: persona})
        except NotFound:
            continue
        return found
    raise NotFound(f"no persona is named {persona!r} or has that id", persona=persona,
                   hint="persona.list")


def persona_id(client: Client, persona: str) -> str:
    """The id of the persona a CLI command names, by name or else by id."""
    return str(find_persona(client, persona)["id"])


def start_core(home: Path, *, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start `pajamas core` for home in the background; its output goes to logs/core.out."""
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    child_env = {**(os.environ if env is None else env), "PAJAMAS_HOME": str(home)}
    with open(logs / "core.out", "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "pajamas", "core"], env=child_env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                start_new_session=True)


def wait_ready(home: Path, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Wait until the process's connection file exists, or it exits (another core won)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = process.poll()
        if code == EXIT_ALREADY_RUNNING:
            return
        if code is not None:
            raise CoreNotRunning(f"the core exited with code {code} while starting: "
                                 f"{_tail(home / 'logs' / 'core.out')}", home=str(home))
        try:
            if connection.read(home).pid == process.pid:
                return
        except CoreNotRunning:
            pass
        time.sleep(0.01)
    raise HubTimeout(f"the core did not start within {timeout:g} s; see {home / 'logs'}")


def stop_core(process: subprocess.Popen[bytes], timeout: float = STOP_GRACE_S) -> int:
    """SIGTERM the core, wait for its clean exit, kill it if it overruns; its exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no output)"
