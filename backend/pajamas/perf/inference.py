"""Whether two sets of samples differ: the Mann-Whitney U test and a bootstrap interval.

Timing samples are skewed and have outliers, so neither test assumes a distribution.  The U
test is exact when a side has at most 8 samples and no value is tied (as
scipy.stats.mannwhitneyu's method="auto" chooses): 5 repetitions against 5 can then reject at
p < 0.01, which the approximation never lets them.  Otherwise it uses the normal approximation
with the tie correction and a continuity correction (method="asymptotic").  The interval of the
ratio of medians is a percentile bootstrap over the raw samples, seeded so a report reads the
same every time it is made.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

BOOTSTRAP_RESAMPLES: Final = 1_000
BOOTSTRAP_SEED: Final = 20_240_601
#: The U test is exact when one side has at most this many samples and nothing is tied.
EXACT_MAX: Final = 8
_CHUNK_CELLS: Final = 2_000_000  # resampled values held at once (16 MB of float64)

Floats = npt.NDArray[np.float64]


class UTest(NamedTuple):
    """The U statistic (the larger of the two) and the two-sided p-value."""

    u: float
    p: float


def mann_whitney_u(a: Sequence[float], b: Sequence[float]) -> UTest:
    """Two-sided Mann-Whitney U test of a against b (no sample set may be empty).

    p is 1.0 when every value is the same (nothing tells the sets apart).
    """
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        raise ValueError("the U test needs at least one sample on each side")
    both = np.concatenate([x, y])
    _, inverse, counts = np.unique(both, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    ranks = (ends - (counts - 1) / 2.0)[inverse]  # tied values share their average rank
    u1 = float(ranks[:n1].sum()) - n1 * (n1 + 1) / 2.0
    u = max(u1, n1 * n2 - u1)
    if min(n1, n2) <= EXACT_MAX and len(counts) == n1 + n2:
        return UTest(u, _exact_p(n1, n2, round(u)))
    n = n1 + n2
    ties = float(np.sum(counts.astype(np.float64) ** 3 - counts))
    variance = n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1))) if n > 1 else 0.0
    if variance <= 0:
        return UTest(u, 1.0)
    z = (u - n1 * n2 / 2.0 - 0.5) / math.sqrt(variance)
    return UTest(u, min(1.0, math.erfc(z / math.sqrt(2.0))))


def _exact_p(n1: int, n2: int, u: int) -> float:
    """Two-sided p of the larger U statistic u for samples of n1 and n2 with no ties: twice
    the share of the C(n1 + n2, n1) orderings whose U is at least u."""
    return min(1.0, 2.0 * sum(_u_counts(n1, n2)[u:]) / math.comb(n1 + n2, n1))


@functools.cache
def _u_counts(n1: int, n2: int) -> tuple[int, ...]:
    """How many orderings of n1 values among n2 others give each U, from 0 to n1 * n2.

    The largest value is in the first set (above all n2 of the second: it adds n2 to U) or in
    the second (it adds nothing).
    """
    if n1 == 0 or n2 == 0:
        return (1,) + (0,) * (n1 * n2)
    with_last = _u_counts(n1 - 1, n2)
    without = _u_counts(n1, n2 - 1)
    counts = [0] * (n1 * n2 + 1)
    for k, c in enumerate(with_last):
        counts[k + n2] += c
    for k, c in enumerate(without):
        counts[k] += c
    return tuple(counts)


def smallest_p(n1: int, n2: int) -> float:
    """The smallest p-value the U test can give for sets this size (when they do not overlap).

    Below a test's alpha only with enough samples: 2 against 2 can never reach 0.01.
    """
    return mann_whitney_u([float(i) for i in range(n1)], [float(n1 + i) for i in range(n2)]).p


def ratio_interval(base: Sequence[float], new: Sequence[float], *, confidence: float = 0.95,
                   resamples: int = BOOTSTRAP_RESAMPLES,
                   seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """A percentile-bootstrap interval of median(new) / median(base).

    Resamples both sets with replacement; (nan, nan) when a base median resampled is 0.
    """
    rng = np.random.default_rng(seed)
    base_medians = _medians(np.asarray(base, dtype=np.float64), resamples, rng)
    new_medians = _medians(np.asarray(new, dtype=np.float64), resamples, rng)
    if np.any(base_medians == 0):
        return math.nan, math.nan
    ratios = new_medians / base_medians
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(ratios, [tail, 100 - tail])
    return float(low), float(high)


def _medians(values: Floats, resamples: int, rng: np.random.Generator) -> Floats:
    """The medians of resamples resamples of values, drawn in chunks to bound memory."""
    rows = max(1, _CHUNK_CELLS // max(1, len(values)))
    out = np.empty(resamples, dtype=np.float64)
    for start in range(0, resamples, rows):
        count = min(rows, resamples - start)
        draws = rng.choice(values, size=(count, len(values)), replace=True)
        out[start:start + count] = np.median(draws, axis=1)
    return out
