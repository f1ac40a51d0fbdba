"""The calibration figure: a fixed pure-Python CPU loop, timed in every run.

Dividing a benchmark's median by the calibration median of the same run gives a figure that
compares across machines (and across noisy moments on one machine) better than the raw one.
"""

from __future__ import annotations

from typing import Final

from pajamas.perf.timing import NS_PER_MS, time_calls

NAME: Final = "cpu_loop"
UNIT: Final = "ms"
ITERATIONS: Final = 200_000  # ~10-20 ms on a 2020s laptop: long enough to time, short to repeat


def cpu_loop(iterations: int = ITERATIONS) -> int:
    """Integer arithmetic in the interpreter's main loop; the work never changes."""
    total = 0
    for i in range(iterations):
        total = (total + i * i) % 1_000_003
    return total


def loops(repeats: int) -> list[float]:
    """The loop's times, repeats of them (after one untimed run), in milliseconds."""
    return time_calls(cpu_loop, repeats, warmup=1, ns_per_unit=NS_PER_MS)
