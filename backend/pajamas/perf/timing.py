"""Timing on `time.perf_counter_ns`, the finest monotonic clock Python offers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

NS_PER_US: Final = 1_000
NS_PER_MS: Final = 1_000_000
NS_PER_S: Final = 1_000_000_000


def time_calls(fn: Callable[[], object], count: int, *, warmup: int = 0,
               ns_per_unit: int = NS_PER_US) -> list[float]:
    """Call fn warmup times untimed, then count times timed; each call's time in the unit."""
    for _ in range(warmup):
        fn()
    clock = time.perf_counter_ns
    spans: list[int] = []
    for _ in range(count):
        start = clock()
        fn()
        spans.append(clock() - start)
    # Converted after the loop so the division stays out of the timed path.
    return [span / ns_per_unit for span in spans]


def since(start_ns: int, ns_per_unit: int) -> float:
    """Time since start_ns (a perf_counter_ns reading), in the unit."""
    return (time.perf_counter_ns() - start_ns) / ns_per_unit
