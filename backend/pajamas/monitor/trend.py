"""Robust trend statistics: the Theil-Sen slope with Sen's confidence bounds, and steadiness.

Pure functions of (time, value) points, so leak detection is tested and benchmarked on
scripted series with no clock and no process.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

Point = tuple[float, float]


@dataclass(frozen=True)
class Trend:
    """A slope (value units per time unit) and its confidence interval [low, high]."""

    slope: float
    low: float
    high: float
    n: int


def theil_sen(points: Sequence[Point], confidence: float = 0.95) -> Trend | None:
    """The median of all pairwise slopes, with Sen's (1968, eq. 2.6) rank-based interval.

    The same figures as `scipy.stats.theilslopes(y, x, alpha=confidence)`; None with fewer
    than 3 points.  Outliers and noise barely move it, unlike a least-squares fit.
    """
    n = len(points)
    if n < 3:
        return None
    slopes = sorted(
        (y2 - y1) / (t2 - t1)
        for i, (t1, y1) in enumerate(points) for t2, y2 in points[i + 1:] if t2 != t1)
    if not slopes:
        return None
    z = statistics.NormalDist().inv_cdf(0.5 + confidence / 2)
    sigma = math.sqrt(_rank_variance(n, [y for _, y in points]))
    big = len(slopes)
    low = max(round((big - z * sigma) / 2) - 1, 0)
    high = min(round((big + z * sigma) / 2), big - 1)
    return Trend(statistics.median(slopes), slopes[low], slopes[high], n)


def _rank_variance(n: int, values: list[float]) -> float:
    """Variance of Kendall's S, corrected for tied values (times are distinct)."""
    ties = sum(k * (k - 1) * (2 * k + 5) for k in Counter(values).values() if k > 1)
    return (n * (n - 1) * (2 * n + 5) - ties) / 18


def bucket_medians(points: Sequence[Point], start: float, end: float,
                   buckets: int) -> list[Point]:
    """The median time and value of the points in each of `buckets` equal spans of [start, end].

    Medians of short spans take the noise out before the slope is fitted and make the fit's
    cost independent of the sampling rate; empty spans are left out.
    """
    width = (end - start) / buckets
    groups: list[list[Point]] = [[] for _ in range(buckets)]
    for t, v in points:
        if start <= t <= end:
            groups[min(buckets - 1, int((t - start) / width))].append((t, v))
    return [(statistics.median(t for t, _ in g), statistics.median(v for _, v in g))
            for g in groups if g]


def rises_steadily(points: Sequence[Point], slope: float, share: float = 0.25) -> bool:
    """Whether each third of the series rises over the one before by at least share of the
    rise the slope predicts: true of steady growth, false of a single step (a cache filling
    once, a burst of imports), where one of the two rises is about zero."""
    if len(points) < 6 or slope <= 0:
        return False
    third = len(points) // 3
    parts = (points[:third], points[third:2 * third], points[2 * third:])
    levels = [statistics.median(v for _, v in part) for part in parts]
    span = points[-1][0] - points[0][0]
    need = share * slope * span / 3
    return levels[1] - levels[0] >= need and levels[2] - levels[1] >= need
