"""An inverted-file (IVF) layout for `VectorIndex`: rows grouped by their nearest centroid.

Measured here (2 cores, other work running): one exact matrix-vector product over 100,000
float32 vectors of 384 dimensions takes 17-35 ms (the copy does not fit in cache, so memory
bandwidth bounds it), and 250-270 ms at 1,000,000.  Grouping the rows into about sqrt(n) lists
by spherical k-means and scoring only the lists whose centroids are nearest the query reads a
few percent of the rows; the rows scored are scored exactly, so only the choice of lists is
approximate.  A list is a contiguous block of rows (0.6 ms for 8,000 rows, against 3.8 ms to
gather the same rows from all over the array), so the table's arrays are reordered by list when
a layout is installed; rows added later form an exact "tail" past the lists.

The index keeps its vectors as int8 codes (compact.py); a layout reads them as float32 a block
or a sample at a time (`compact.Decoded`), never all at once.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from typing import Final, final

import numpy as np
import numpy.typing as npt

from pajamas.memory.compact import Decoded

Floats = npt.NDArray[np.float32]
Rows = npt.NDArray[np.intp]
Labels = npt.NDArray[np.int64]
Matrix = Floats | Decoded  # rows read as float32: an array, or int8 codes decoded on the way
ASSIGN_CHUNK: Final = 16_384  # rows scored against every centroid at once (bounded memory)


@dataclass(frozen=True)
class Policy:
    """When a table gets lists, how many, and how many of its rows a search scores."""

    min_rows: int = 25_000  # below this, exact search is cheap enough (about 2 ms)
    # Lay out again once the rows searched exactly (fresh or changed) pass this share of the
    # listed rows or max_fresh rows (50,000 take about 8 ms); new lists (k-means again) once
    # the table has grown to retrain_growth times the rows the centroids were trained for.
    rebuild_share: float = 0.2
    max_fresh: int = 50_000
    retrain_growth: float = 2.0
    rows_per_list: int = 0  # 0: about sqrt(n) lists
    # Score the nearest lists until min_scan + scan_share · n rows are covered.  Measured on
    # LoCoMo-shaped vectors: recall@10 0.965 at 100,000 rows with 6,500 scored (1.2 ms p50),
    # 0.97 with 8,000, and 0.99 at 1,000,000 with 20,000 (9 ms p50); 1% of a million: 0.945.
    min_scan: int = 8_000
    scan_share: float = 0.015
    min_probes: int = 4
    train_rows: int = 64  # k-means trains on at most this many rows per list
    rounds: int = 12  # k-means rounds
    seed: int = 7

    def lists_for(self, rows: int) -> int:
        """How many lists a layout of rows gets."""
        wanted = rows // self.rows_per_list if self.rows_per_list else round(math.sqrt(rows))
        return max(1, min(wanted, rows))

    def wants_build(self, lists: Lists | None, size: int) -> bool:
        """Whether a table of size rows, laid out in lists, needs a (new) layout."""
        if size < self.min_rows:
            return False
        if lists is None:
            return True
        exact = size - lists.listed + len(lists.stale)
        return exact > min(self.rebuild_share * lists.listed, self.max_fresh)

    def retrains(self, lists: Lists | None, size: int) -> bool:
        """Whether a new layout of size rows needs new centroids (else: lists extended)."""
        return lists is None or size >= self.retrain_growth * lists.trained


@final
@dataclass(frozen=True)
class Lists:
    """Rows [0, listed) grouped by list: list j is rows offsets[j]:offsets[j + 1].

    `stale` rows (sorted) had their vector changed after the layout was made: they may sit in
    the wrong list, so every search scores them too.
    """

    centroids: Floats
    offsets: npt.NDArray[np.int64]
    trained: int  # how many rows the table had when the centroids were trained
    stale: Rows = field(default_factory=lambda: np.zeros(0, np.intp))

    @property
    def listed(self) -> int:
        """How many rows the lists cover (the rest of the table is the tail)."""
        return int(self.offsets[-1])

    def probe(self, query: Floats, policy: Policy) -> list[tuple[int, int]]:
        """The row ranges of the lists nearest to query, enough to cover the policy's share."""
        order = np.argsort(-(self.centroids @ query), kind="stable")
        sizes = np.diff(self.offsets)[order]
        wanted = policy.min_scan + policy.scan_share * self.listed
        count = int(np.searchsorted(np.cumsum(sizes), wanted)) + 1
        chosen = order[:max(count, policy.min_probes)]
        return [(int(self.offsets[j]), int(self.offsets[j + 1])) for j in chosen
                if self.offsets[j + 1] > self.offsets[j]]

    def marked(self, row: int) -> Lists:
        """These lists with row's vector changed."""
        if row >= self.listed or row in self.stale:
            return self
        return replace(self, stale=np.sort(np.append(self.stale, row)))

    def kept(self, keep: npt.NDArray[np.bool_]) -> Lists:
        """These lists after the rows where keep is False are dropped (the rest keep order)."""
        before = np.concatenate([[0], np.cumsum(keep[:self.listed])]).astype(np.int64)
        stale = self.stale[keep[self.stale]] if len(self.stale) else self.stale
        moved = (before[stale] if len(stale) else stale).astype(np.intp)
        return replace(self, offsets=before[self.offsets], stale=moved)


@dataclass(frozen=True)
class Layout:
    """A built layout for rows [0, listed): their new order, and the lists in that order."""

    order: Rows
    lists: Lists


def build(vectors: Matrix, policy: Policy, previous: Lists | None = None) -> Layout:
    """A layout of every (unit) row of vectors: previous extended, or new lists by k-means."""
    if policy.retrains(previous, len(vectors)) or previous is None:
        centroids = train(vectors, policy.lists_for(len(vectors)), policy)
        return _grouped(assign(vectors, centroids), centroids, len(vectors))
    return _grouped(extended(previous, vectors), previous.centroids, previous.trained)


def extended(lists: Lists, vectors: Matrix) -> Labels:
    """The list of every row: the listed rows' own, the tail's and changed rows' nearest."""
    labels = np.repeat(np.arange(len(lists.centroids)), np.diff(lists.offsets))
    labels = np.concatenate([labels, assign(vectors[lists.listed:], lists.centroids)])
    if len(lists.stale):
        labels[lists.stale] = assign(vectors[lists.stale], lists.centroids)
    return labels


def _grouped(labels: Labels, centroids: Floats, trained: int) -> Layout:
    """The layout putting rows in the order of their labels."""
    order = np.argsort(labels, kind="stable").astype(np.intp)
    offsets = np.searchsorted(labels[order], np.arange(len(centroids) + 1)).astype(np.int64)
    return Layout(order, Lists(centroids, offsets, trained))


def train(vectors: Matrix, count: int, policy: Policy) -> Floats:
    """count unit centroids of a sample of vectors (spherical k-means)."""
    rng = np.random.default_rng(policy.seed)
    size = min(len(vectors), count * policy.train_rows)
    sample = vectors[np.sort(rng.choice(len(vectors), size, replace=False))]
    centroids = sample[rng.choice(size, count, replace=False)].copy()
    for _ in range(policy.rounds):
        labels = assign(sample, centroids)
        centroids = _means(sample, labels, centroids, rng)
    return centroids


def assign(vectors: Matrix, centroids: Floats) -> Labels:
    """The nearest centroid (by cosine similarity) of each row."""
    labels = np.empty(len(vectors), np.int64)
    for start in range(0, len(vectors), ASSIGN_CHUNK):
        block = vectors[start:start + ASSIGN_CHUNK] @ centroids.T
        labels[start:start + ASSIGN_CHUNK] = np.argmax(block, axis=1)
    return labels


def _means(sample: Floats, labels: Labels, old: Floats, rng: np.random.Generator) -> Floats:
    """Each list's mean direction; an empty list takes a random sample row instead."""
    order = np.argsort(labels, kind="stable")
    counts = np.bincount(labels, minlength=len(old))
    full = counts > 0
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[full]
    sums = np.empty_like(old)
    sums[full] = np.add.reduceat(sample[order], starts, axis=0)
    sums[~full] = sample[rng.choice(len(sample), int((~full).sum()))]
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    unit: Floats = (sums / np.where(norms == 0, 1, norms)).astype(np.float32)
    return unit


@functools.cache
def single_threaded_blas() -> None:
    """Make numpy's BLAS use one thread in this process (searches run on many threads).

    Measured here under load: a multi-threaded matrix-vector product over 8,000 rows took
    12 ms, single-threaded 0.6 ms (the threads wait for cores other work holds).
    """
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]  # noqa: PLC0415

    threadpool_limits(limits=1, user_api="blas")
