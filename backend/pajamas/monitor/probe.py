"""Reading one process's resource use with psutil: the monitor's only contact with the OS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Protocol, TypedDict, final

import psutil

from pajamas.borders import psutil_errors
from pajamas.errors import NotFound

USS_EVERY: Final = 10  # USS walks the page tables (~150 µs a process): read it every 10th time


class Reading(TypedDict):
    """One process's usage at one moment; `uss` is None where the OS does not give it."""

    rss: int
    uss: int | None
    cpu_percent: float
    threads: int
    open_files: int


class Probe(Protocol):
    """Something that reads a process's usage (psutil in the core, scripted in benchmarks)."""

    def read(self) -> Reading:
        """The usage now; `NotFound` once the process has exited."""
        ...


ProbeFactory = Callable[[int], Probe]


@final
class ProcessProbe:
    """Reads a process with psutil: cheap figures at every read, USS at every USS_EVERY-th.

    CPU percent is over the time since the previous read, as `psutil.Process.cpu_percent`
    measures it; the first read reports 0.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        with psutil_errors(pid):
            self._proc = psutil.Process(pid)
            self._proc.cpu_percent(None)  # sets the reference point of the next read
        self._reads = 0
        self._uss: int | None = None
        self._uss_denied = False

    def read(self) -> Reading:
        """The process's usage now; `NotFound` if it exited (or its pid was reused)."""
        if self._reads % USS_EVERY == 0:
            self._check_identity()
            self._uss = self._read_uss()
        self._reads += 1
        proc = self._proc
        with psutil_errors(self.pid), proc.oneshot():
            return Reading(rss=proc.memory_info().rss, uss=self._uss,
                           cpu_percent=proc.cpu_percent(None), threads=proc.num_threads(),
                           open_files=_open_files(proc))

    def _check_identity(self) -> None:
        # is_running compares the creation time, so a recycled pid is not mistaken for ours.
        if not self._proc.is_running():
            raise NotFound(f"process {self.pid} has exited", pid=self.pid)

    def _read_uss(self) -> int | None:
        if self._uss_denied:
            return None
        try:
            return int(self._proc.memory_full_info().uss)
        except (psutil.AccessDenied, AttributeError):  # another user's process, or no USS here
            self._uss_denied = True
            return None
        except psutil.NoSuchProcess:
            raise NotFound(f"process {self.pid} has exited", pid=self.pid) from None


def _open_files(proc: psutil.Process) -> int:
    """Open file descriptors (POSIX) or handles (Windows): what a file leak makes grow."""
    if hasattr(proc, "num_fds"):
        return int(proc.num_fds())
    return int(getattr(proc, "num_handles")())  # noqa: B009  (Windows only: not in the stubs here)
