"""Statistics of a benchmark's samples: median, percentiles, mean and spread."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    """The figures the runner reports for one set of samples."""

    n: int
    median: float
    p95: float
    p99: float
    mean: float
    stdev: float
    min: float
    max: float

    def stat(self, name: str) -> float:
        """A figure by the name a `Target` uses ("p50" is the median)."""
        return self.median if name == "p50" else float(getattr(self, name))


def percentile(ordered: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of sorted samples, interpolating linearly between ranks.

    The same definition as numpy's default and `statistics.quantiles(method="inclusive")`.
    """
    if not ordered:
        raise ValueError("no samples")
    if not 0 <= q <= 100:
        raise ValueError(f"a percentile is between 0 and 100, not {q}")
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(samples: Sequence[float]) -> Summary:
    """The summary of at least one sample."""
    ordered = sorted(samples)
    return Summary(
        n=len(ordered),
        median=percentile(ordered, 50),
        p95=percentile(ordered, 95),
        p99=percentile(ordered, 99),
        mean=statistics.fmean(ordered),
        stdev=statistics.stdev(ordered) if len(ordered) > 1 else 0.0,
        min=ordered[0],
        max=ordered[-1],
    )
