"""The rlimits of a host, from its quotas; `prctl` flags that come with them."""

from __future__ import annotations

import ctypes
import os
import resource
from typing import Final

MB: Final = 1024 * 1024
#: Files the host itself holds beyond the plugin's quota (stdio, channel, imports).
HOST_FILES: Final = 16
PR_SET_PDEATHSIG: Final = 1
PR_SET_DUMPABLE: Final = 4
PR_SET_NO_NEW_PRIVS: Final = 38

_libc = ctypes.CDLL(None, use_errno=True)


def prctl(option: int, value: int) -> None:
    """prctl(option, value); OSError on failure."""
    if _libc.prctl(option, value, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl({option}): {os.strerror(errno)}")


#: The descriptors the host held itself when its limits were set (stdio, channel).
base_files = 0


def open_files_now(upto: int = 8192) -> int:
    """How many descriptors this process holds (counted without /proc, which may be barred)."""
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    top = upto if soft == resource.RLIM_INFINITY else min(soft, upto)
    count = 0
    for fd in range(top):
        try:
            os.fstat(fd)
        except OSError:
            continue
        count += 1
    return count


def address_space() -> int:
    """The bytes of address space this process maps now."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def apply(*, memory_mb: int, cpu_s: int, open_files: int, disk_mb: int, processes: int,
          ) -> None:
    """Set the host's rlimits (soft = hard, so the plugin cannot raise them), but CPU.

    The address space allows the host's own mappings plus memory_mb; file size bounds the
    scratch folder's files; no core dumps; processes for where RLIMIT_NPROC holds (not for
    root: the pids cgroup does it there).  CPU is per call, so it only has a soft limit (the
    core re-arms it before each call with prlimit, which may not raise a hard limit): the
    watchdog, measuring from outside, is what holds cpu_s; SIGXCPU is its backstop.
    """
    global base_files  # noqa: PLW0603  (the host's one process-wide fact)
    base_files = open_files_now(256)  # confine closed every inherited descriptor above
    space = address_space() + memory_mb * MB
    for limit, value in ((resource.RLIMIT_AS, space),
                         (resource.RLIMIT_NOFILE, open_files + base_files),
                         (resource.RLIMIT_FSIZE, disk_mb * MB), (resource.RLIMIT_CORE, 0),
                         (resource.RLIMIT_NPROC, processes + 1)):
        resource.setrlimit(limit, (value, value))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s + 1, resource.RLIM_INFINITY))
