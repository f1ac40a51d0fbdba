"""Hostile: tries to lift its own limits, leave its cgroup and reach other processes.

Signals are probed with signal 0, which checks permission without sending anything: a
success means the host *could* have killed that process.  kill(-1, 0) proves nothing (Linux
answers 0 even when every process refused), so every pid is probed one by one instead.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Callable
from pathlib import Path
from typing import Any

LIMITS = {"RLIMIT_AS": resource.RLIMIT_AS, "RLIMIT_CPU": resource.RLIMIT_CPU,
          "RLIMIT_NOFILE": resource.RLIMIT_NOFILE, "RLIMIT_NPROC": resource.RLIMIT_NPROC,
          "RLIMIT_FSIZE": resource.RLIMIT_FSIZE}


def escape(victims: dict[str, int] | None = None) -> dict[str, Any]:
    """Try every escape: {"escaped", "errors", "signalable": [pids it could signal]}.

    victims names processes (the core, another persona's host, ...) to try to signal.
    """
    attempts: dict[str, Callable[[], object]] = {
        f"raise {name}": (lambda r=r: _raise_limit(r)) for name, r in LIMITS.items()}
    own = _own_cgroup()
    attempts |= {
        "join the root cgroup": lambda: Path("/sys/fs/cgroup/cgroup.procs").write_text(
            str(os.getpid())),
        "join the root pids cgroup": lambda: Path("/sys/fs/cgroup/pids/cgroup.procs")
        .write_text(str(os.getpid())),
        "lift its pids.max": lambda: (own / "pids.max").write_text("max"),
        "signal its parent": lambda: os.kill(os.getppid(), 0),
        "signal init": lambda: os.kill(1, 0),
    }
    for name, pid in (victims or {}).items():
        attempts[f"signal {name}"] = lambda pid=pid: os.kill(pid, 0)
    escaped: list[str] = []
    errors: dict[str, str] = {}
    for name, attempt in attempts.items():
        try:
            attempt()
        except (OSError, ValueError) as exc:
            errors[name] = f"{type(exc).__name__}: {exc}"
        else:
            escaped.append(name)
    return {"escaped": escaped, "errors": errors, "signalable": _signalable()}


def _raise_limit(which: int) -> None:
    """Raise the hard limit above what the host was given (lowering is always allowed)."""
    _soft, hard = resource.getrlimit(which)
    if hard == resource.RLIM_INFINITY:
        raise ValueError("the limit is already unlimited")
    resource.setrlimit(which, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def _own_cgroup() -> Path:
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return Path("/sys/fs/cgroup/pids")
    for line in lines:
        _id, controllers, path = line.split(":", 2)
        if controllers in ("pids", ""):
            base = "/sys/fs/cgroup/pids" if controllers == "pids" else "/sys/fs/cgroup"
            return Path(base + path)
    return Path("/sys/fs/cgroup/pids")


def _signalable() -> list[int]:
    """The pids it may signal (itself left out), up to 65536 or a little past its own."""
    found = []
    for pid in range(2, max(1 << 16, os.getpid() + 20_000)):
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except OSError:
            continue
        found.append(pid)
    return found
