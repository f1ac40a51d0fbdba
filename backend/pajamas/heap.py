"""The core's C heap on glibc: few malloc arenas, and freed memory handed back to the system.

glibc gives each thread that mallocs its own arena (up to eight per core) and keeps what is
freed in them for later: the core's many threads (RPC workers, LanceDB's, onnxruntime's)
each filled one while a persona's 100,000 memories were read in and laid out, and the freed
pages stayed in RSS.  `tune` caps the arenas (before the core starts any thread, since an
arena is never given up) and maps every block of 4 MiB or more on its own; `trim` returns
the free pages of every arena (`malloc_trim(0)`) and is called after heavy one-off work
(each task's end) and under memory pressure (`shed`).  Elsewhere (musl, macOS, Windows)
both do nothing.  At 100,000 memories the core's RSS at the `memory.search_100k` benchmark
point went from 614 to 581 MB (medians of 5 runs); trimming also after a table's vectors
are read in and after their layout brought it to 551 MB.  `after_work`, called at those
points, also freezes the Python objects the work left behind (`gcfreeze`).
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import sys
from collections.abc import Callable
from typing import Any, Final

from pajamas import gcfreeze

log = logging.getLogger(__name__)
M_ARENA_MAX: Final = -8  # mallopt's parameter numbers, from glibc's malloc.h
M_MMAP_THRESHOLD: Final = -3
ARENAS: Final = 2  # main arena + one shared by every other thread
MMAP_THRESHOLD: Final = 4 * 1024 * 1024  # blocks this large or larger: mapped, unmapped on free
TRIM_AFTER: Final = frozenset({"task.done"})  # events after which `trimming` trims


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """The process's glibc, or None on other C libraries and OSes."""
    try:
        version = os.confstr("CS_GNU_LIBC_VERSION") if sys.platform.startswith("linux") else None
    except (ValueError, OSError):  # the name is unknown to this libc
        version = None
    if not version:
        log.debug("heap tuning skipped: not glibc (%s)", sys.platform)
        return None
    return ctypes.CDLL(None)  # the symbols of the running process, glibc's among them


def tune(arenas: int = ARENAS, mmap_threshold: int = MMAP_THRESHOLD) -> bool:
    """Cap glibc's malloc arenas (call before threads start) and fix the size from which it
    maps blocks of their own; whether both were applied.

    glibc maps a block of 128 KiB or more on its own and unmaps it on free, but each time such
    a block is freed it raises that size to the block's, up to 32 MiB.  Once a table's
    vectors had been read in, the blocks of the next reads (Arrow's batches, of a few MiB)
    came from the arenas and their pages stayed there after the reload: with 3 personas of
    100,000 memories searched in turn under a 128 MB budget, the core's RSS peaked at
    708-729 MB, against 580-582 MB with the size fixed at 4 MiB (1 MiB gave the same, 16 MiB
    did not help).  A fixed size also turns the raising off.
    """
    libc = _glibc()
    if libc is None:
        return False
    applied = bool(libc.mallopt(M_ARENA_MAX, arenas))
    applied &= bool(libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold))
    log.debug("malloc arenas capped at %d, blocks from %d bytes mapped: %s", arenas,
              mmap_threshold, applied)
    return applied


def trim(reason: str) -> bool:
    """Give the free pages of glibc's heap back to the system; whether any were."""
    libc = _glibc()
    if libc is None:
        return False
    released = bool(libc.malloc_trim(0))
    log.debug("heap trimmed after %s: %s", reason, "released" if released else "nothing free")
    return released


def shed() -> int:
    """Trim under memory pressure (a `Shed`): the bytes of RSS it gave back."""
    return rss_freed(lambda: trim("memory pressure"))


def rss_freed(release: Callable[[], object]) -> int:
    """Run release (a `Shed`'s work): the bytes of RSS it gave back."""
    import psutil  # noqa: PLC0415  (the monitor, which calls sheds, has loaded it)

    process = psutil.Process()
    before = process.memory_info().rss
    release()
    return max(0, before - process.memory_info().rss)


def after_work(reason: str) -> None:
    """After heavy one-off work: trim the C heap, and freeze the Python objects the work left
    out of the cyclic collector's full passes (`gcfreeze.settle`)."""
    trim(reason)
    gcfreeze.settle(reason)


def trimming(publish: Callable[[str, Any], None]) -> Callable[[str, Any], None]:
    """publish, then `after_work` after each event in `TRIM_AFTER` (a task's end)."""

    def publish_then_trim(topic: str, data: Any) -> None:
        publish(topic, data)
        if topic in TRIM_AFTER:
            after_work(topic)

    return publish_then_trim
