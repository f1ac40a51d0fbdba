"""Discovery: the connection file `<home>/run/core.json`, its endpoints and the core's lock.

The core holds an exclusive lock on `<home>/run/core.lock` for as long as it serves; the OS
releases it when the process dies, so a connection file left by a crashed core is recognised
as stale (the lock is free) and replaced, while a live core makes a second one refuse.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Final

from pajamas import PROTOCOL_VERSION, __version__
from pajamas.errors import ConfigError, CoreAlreadyRunning, CoreNotRunning

RUN_DIR: Final = "run"
CONNECTION_FILE: Final = "core.json"
LOCK_FILE: Final = "core.lock"
# sun_path holds 108 bytes on Linux, 104 on macOS; longer ipc paths fall back to tcp.
_MAX_IPC_PATH: Final = 100


@dataclass(frozen=True)
class ConnectionInfo:
    """The contents of the connection file (docs/protocol.md, Discovery)."""

    protocol: int
    version: str
    pid: int
    rpc: str
    events: str
    key: str
    signature_scheme: str
    started_at: str

    @property
    def key_bytes(self) -> bytes:
        """The HMAC key as the protocol uses it: the key string's UTF-8 bytes."""
        return self.key.encode()


def run_dir(home: Path) -> Path:
    """`<home>/run`, created with mode 0700."""
    path = home / RUN_DIR
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        os.chmod(path, 0o700)
    return path


def new_key() -> str:
    """A fresh key: 64 hex characters."""
    return secrets.token_hex(32)


def endpoints(home: Path, transport: str = "auto") -> tuple[str, str]:
    """The (rpc, events) endpoints to bind: ipc sockets in run/ on POSIX, else loopback tcp.

    `transport` "tcp" (the setting rpc_transport) takes loopback tcp on POSIX too, so the
    path Windows takes can be exercised anywhere.  A tcp endpoint is given with port `*`; the
    server reports the port it bound.
    """
    if transport not in ("auto", "tcp"):
        raise ConfigError(f"setting rpc_transport is 'auto' or 'tcp', not {transport!r}",
                          setting="rpc_transport")
    run = run_dir(home)
    rpc_path, events_path = run / "rpc.sock", run / "events.sock"
    if transport == "auto" and os.name == "posix" and len(str(events_path)) <= _MAX_IPC_PATH:
        return f"ipc://{rpc_path}", f"ipc://{events_path}"
    return "tcp://127.0.0.1:*", "tcp://127.0.0.1:*"


def make_info(rpc: str, events: str, key: str) -> ConnectionInfo:
    """The connection file's contents for this process."""
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ConnectionInfo(PROTOCOL_VERSION, __version__, os.getpid(), rpc, events, key,
                          "hmac-sha256", started)


def write(home: Path, info: ConnectionInfo) -> Path:
    """Write the connection file atomically, readable by its owner alone (0600)."""
    path = run_dir(home) / CONNECTION_FILE
    tmp = path.with_name(f".{CONNECTION_FILE}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(asdict(info), fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def read(home: Path) -> ConnectionInfo:
    """The connection file of the core serving home; `CoreNotRunning` when there is none."""
    path = home / RUN_DIR / CONNECTION_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ConnectionInfo(**{k: data[k] for k in ConnectionInfo.__dataclass_fields__})
    except FileNotFoundError:
        raise CoreNotRunning(
            f"no core is running for {home} (no {path}); start one with `pajamas core`",
            home=str(home)) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise CoreNotRunning(f"the connection file {path} is unreadable ({exc}); "
                             "a core that crashed may have left it: start a new one",
                             home=str(home)) from None


def remove(home: Path, pid: int) -> None:
    """Remove the connection file if it is this pid's (never another core's)."""
    path = home / RUN_DIR / CONNECTION_FILE
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == pid:
            path.unlink()
    except (FileNotFoundError, ValueError):
        pass


class CoreLock:
    """The exclusive, process-lifetime lock that makes one core per home."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = run_dir(home) / LOCK_FILE
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise `CoreAlreadyRunning` naming the running core's pid."""
        fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115  (held until release)
        if not _try_lock(fh):
            fh.close()
            raise CoreAlreadyRunning(
                f"a core is already running for {self.home} (pid {self._holder()}); "
                "use it, or stop it before starting another", home=str(self.home))
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        """Give the lock back (the OS does so too if the process dies)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def _holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip() or "unknown"
        except OSError:
            return "unknown"


def _try_lock(fh: IO[str]) -> bool:
    if sys.platform == "win32":
        import msvcrt  # noqa: PLC0415

        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl  # noqa: PLC0415

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True
