"""Robust trend statistics: the Theil-Sen slope with Sen's confidence bounds, and steadiness.

Pure functions of (time, value) points, so leak detection is tested and benchmarked on
scripted series with no clock and no process.
"""

from __future__ import annotations

import functools
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
    slopes = sorted([
        (y2 - y1) / (t2 - t1)
        for i, (t1, y1) in enumerate(points) for t2, y2 in points[i + 1:] if t2 != t1])
    if not slopes:
        return None
    z = _z(confidence)
    sigma = math.sqrt(_rank_variance(n, [y for _, y in points]))
    big = len(slopes)
    low = max(round((big - z * sigma) / 2) - 1, 0)
    high = min(round((big + z * sigma) / 2), big - 1)
    return Trend(statistics.median(slopes), slopes[low], slopes[high], n)


@functools.lru_cache(maxsize=8)
def _z(confidence: float) -> float:
    """The normal quantile of a two-sided interval at confidence."""
    return statistics.NormalDist().inv_cdf(0.5 + confidence / 2)


def _rank_variance(n: int, values: list[float]) -> float:
    """Variance of Kendall's S, corrected for tied values (times are distinct)."""
    ties = sum(k * (k - 1) * (2 * k + 5) for k in Counter(values).values() if k > 1)
    return (n * (n - 1) * (2 * n + 5) - ties) / 18


def bucket_medians(points: Sequence[Point], start: float, end: float,
                   buckets: int) -> list[Point]:
    """The middle point's time and the median value of each of `buckets` equal spans.

    Medians of short spans take the noise out before the slope is fitted and make the fit's
    cost independent of the sampling rate; empty spans are left out.  Points are oldest first.
    """
    width = (end - start) / buckets
    groups: list[list[Point]] = [[] for _ in range(buckets)]
    for point in points:
        if start <= point[0] <= end:
            groups[min(buckets - 1, int((point[0] - start) / width))].append(point)
    return [(g[len(g) // 2][0], _median([v for _, v in g])) for g in groups if g]


def _median(values: list[float]) -> float:
    # statistics.median, without its checks: this runs for every bucket of every series.
    values.sort()
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def may_exceed(points: Sequence[Point], slope: float) -> bool:
    """False when the values vary too little for a Theil-Sen slope above slope (> 0).

    At least half of all pairs of evenly spread points lie more than 29% of the span apart,
    and none of those can rise faster than range / (0.29 span): a cheap proof, for a flat
    series, that fitting is pointless.  (0.25 leaves a margin for uneven spacing.)
    """
    if len(points) < 2:
        return False
    values = [v for _, v in points]
    span = points[-1][0] - points[0][0]
    return max(values) - min(values) >= 0.25 * slope * span


def grows_in_both_halves(points: Sequence[Point], slope: float, *, confidence: float = 0.95,
                         share: float = 0.25) -> bool:
    """Whether each half of the series has a slope of its own that is surely above zero and at
    least share of the whole's: true of steady growth, false of a single step (a cache filling
    once, a burst of imports), which leaves one half flat."""
    if len(points) < 8 or slope <= 0:
        return False
    half = len(points) // 2
    for part in (points[:half], points[half:]):
        trend = theil_sen(part, confidence)
        if trend is None or trend.low <= 0 or trend.slope < share * slope:
            return False
    return True
