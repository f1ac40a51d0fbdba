"""A pids cgroup per host (cgroup v1 `pids` controller, or v2 with `pids` enabled).

RLIMIT_NPROC does not hold for root, so the core creates `<root>/pajamas-core-<pid>/<id>/`
with pids.max = 1 + the plugin's processes quota + `THREADS` (the controller counts threads as
well as processes; the watchdog holds processes alone to the quota), the host moves itself in
before it confines itself, and the core kills what is left in it and removes it when the host
ends.  A core that was killed leaves its folder behind: the next core to start removes those
of dead cores.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path
from typing import Final

ROOTS: Final = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))
CORE_PREFIX: Final = "pajamas-core-"
#: Threads a host and its processes may run besides themselves: pids.max counts both, and a
#: thread is no process (zmq, thread pools); a fork bomb still stops at this many more forks.
THREADS: Final = 16


def root() -> Path | None:
    """The writable pids hierarchy, if this machine has one."""
    for folder in ROOTS:
        has_pids = folder.name == "pids" or "pids" in _read(folder / "cgroup.controllers")
        if has_pids and (folder / "cgroup.procs").exists() and os.access(folder, os.W_OK):
            return folder
    return None


def core_folder(base: Path) -> Path:
    """This core's folder under base (made now), after removing those of dead cores."""
    for folder in base.glob(f"{CORE_PREFIX}*"):
        pid = folder.name[len(CORE_PREFIX):]
        if pid.isdigit() and not _alive(int(pid)):
            for child in [c for c in folder.iterdir() if c.is_dir()]:
                remove(child)
            remove(folder)
    folder = base / f"{CORE_PREFIX}{os.getpid()}"
    folder.mkdir(exist_ok=True)
    return folder


def create(base: Path, pids: int) -> Path:
    """A new cgroup under base allowing pids tasks (processes and threads)."""
    folder = base / f"pajamas-{uuid.uuid4().hex[:12]}"
    folder.mkdir()
    (folder / "pids.max").write_text(str(pids))
    return folder


def join(folder: str) -> None:
    """Move this process into the cgroup."""
    with open(os.path.join(folder, "cgroup.procs"), "w", encoding="ascii") as procs:
        procs.write("0")


def members(folder: Path) -> list[int]:
    """The pids in the cgroup now."""
    return [int(pid) for pid in _read(folder / "cgroup.procs").split()]


def count(folder: Path) -> int:
    """How many tasks the cgroup holds (pids.current)."""
    text = _read(folder / "pids.current").strip()
    return int(text) if text else 0


def refusals(folder: Path) -> int:
    """How many forks pids.max refused so far (pids.events "max")."""
    for line in _read(folder / "pids.events").splitlines():
        key, _, value = line.partition(" ")
        if key == "max":
            return int(value)
    return 0


def remove(folder: Path) -> None:
    """Kill whatever is left in the cgroup, then remove it."""
    for _ in range(50):
        pids = members(folder)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
        time.sleep(0.01)
    try:
        folder.rmdir()
    except OSError:
        return  # tasks still exiting: a leftover empty cgroup costs nothing


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii")
    except OSError:
        return ""
