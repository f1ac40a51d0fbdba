"""Benchmark plugin: breaches a quota and logs "breach <time.time()>" the moment it does.

The benchmark compares that time with the moment its caller received the error: the kill
latency.  The quotas it breaches are in its plugin.toml (64 MB, 1 CPU second, 10 wall seconds,
which a call's timeout_s may lower).
"""

from __future__ import annotations

import resource
import sys
import time
from typing import Any

CHUNK = 4 * 1024 * 1024
MEMORY_MB = 64
CPU_S = 1.0


def grow(hub: Any) -> None:
    """Allocate 4 MB at a time, pages written; log when peak RSS passes MEMORY_MB."""
    held = []
    logged = False
    try:
        while True:
            held.append(b"\x5a" * CHUNK)
            if not logged and _peak_rss_mb() > MEMORY_MB:
                logged = _breach(hub)
    except MemoryError:  # an address-space limit stops the allocation first: that is the breach
        if not logged:
            _breach(hub)
        raise


def spin(hub: Any) -> None:
    """Spin in Python; log when this process's CPU time passes CPU_S."""
    logged = False
    while True:
        if not logged and time.process_time() > CPU_S:
            logged = _breach(hub)


def sleep(seconds: float = 30.0) -> None:
    """Sleep for seconds (past the wall time)."""
    time.sleep(seconds)


def flood() -> None:
    """Print 1 KB lines forever."""
    line = "x" * 1023
    while True:
        print(line)
        sys.stdout.flush()


def noop() -> None:
    """Nothing."""


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def _breach(hub: Any) -> bool:
    hub.log(f"breach {time.time():.6f}")
    return True
