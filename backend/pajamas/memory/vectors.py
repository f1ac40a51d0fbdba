"""`VectorIndex`: an in-memory copy of one table's vectors, searched exactly with numpy.

LanceDB pays about 4 ms a query and re-reads the vectors from disk; one matrix-vector product
over an in-memory float32 copy is exact and takes 0.4 ms at 10,000 rows (3.8 ms at 100,000),
so vector search never touches the table.  The copy is loaded when the table opens and kept in
step by the table's writer after each commit (it is the only one changing the table).

Readers take a `_View` (sizes and array references) under a short lock and search it without
the lock: appends write past the view's size into spare capacity, and deletes build new
arrays, so a view never sees a half-made change.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final, final

import numpy as np
import numpy.typing as npt

Ranked = list[tuple[str, float]]  # (memory id, score), best first
Floats = npt.NDArray[np.float32]
Times = npt.NDArray[np.float64]
GROWTH: Final = 1.5  # spare capacity on a full append: amortised O(1) without doubling RSS


@dataclass(frozen=True)
class Bounds:
    """Which rows a search may return: created_at in [since, until), and id in only."""

    since: float | None = None
    until: float | None = None
    only: Collection[str] | None = None


@dataclass(frozen=True)
class _View:
    size: int
    vectors: Floats
    created: Times
    importance: Floats
    ids: list[str]
    positions: dict[str, int]


@final
class VectorIndex:
    """Unit-length vectors, their ids, created_at and importance, by row."""

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self._lock = threading.Lock()
        self._view = _View(0, np.zeros((0, dimension), np.float32), np.zeros(0),
                           np.zeros(0, np.float32), [], {})

    def __len__(self) -> int:
        return self._view.size

    # -- writes (the table's writer thread only) ----------------------------------------

    def append(self, ids: Sequence[str], vectors: Floats, created: Times,
               importance: Floats) -> None:
        """Add rows at the end (after they are committed)."""
        view, count = self._view, len(ids)
        end = view.size + count
        if end > len(view.vectors):
            view = self._grown(view, max(end, int(len(view.vectors) * GROWTH)))
        view.vectors[view.size:end] = _unit(vectors)
        view.created[view.size:end] = created
        view.importance[view.size:end] = importance
        view.ids[view.size:end] = list(ids)  # ids past size belong to no view yet
        view.positions.update((memory_id, view.size + n) for n, memory_id in enumerate(ids))
        self._publish(_View(end, view.vectors, view.created, view.importance, view.ids,
                            view.positions))

    def update(self, memory_id: str, *, vector: Floats | None = None,
               importance: float | None = None) -> None:
        """Change one row in place (a reader sees the old or the new value)."""
        row = self._view.positions.get(memory_id)
        if row is None:
            return
        if vector is not None:
            self._view.vectors[row] = _unit(vector.reshape(1, -1))[0]
        if importance is not None:
            self._view.importance[row] = importance

    def remove(self, memory_ids: Collection[str]) -> None:
        """Drop rows, into new arrays so that current readers keep theirs."""
        view = self._view
        keep = np.array([i not in memory_ids for i in view.ids[:view.size]], dtype=bool)
        ids = [i for i in view.ids[:view.size] if i not in memory_ids]
        self._publish(_View(len(ids), view.vectors[:view.size][keep].copy(),
                            view.created[:view.size][keep].copy(),
                            view.importance[:view.size][keep].copy(), ids,
                            {memory_id: n for n, memory_id in enumerate(ids)}))

    # -- reads --------------------------------------------------------------------------

    def search(self, query: Floats, k: int, bounds: Bounds) -> Ranked:
        """The k rows nearest to query by cosine similarity, within bounds, best first."""
        view = self._current()
        rows = self._candidates(view, bounds)
        scores = view.vectors[:view.size] @ _unit(query.reshape(1, -1))[0]
        if rows is not None:
            scores = scores[rows]
        top = _top(scores, k)
        chosen = top if rows is None else rows[top]
        return [(view.ids[row], float(score)) for row, score in zip(chosen, scores[top],
                                                                      strict=True)]

    def count(self, bounds: Bounds) -> int:
        """How many rows are within bounds."""
        view = self._current()
        rows = self._candidates(view, bounds)
        return view.size if rows is None else len(rows)

    def facts(self, memory_ids: Collection[str]) -> dict[str, dict[str, float]]:
        """{"importance", "created_at"} of the rows with these ids (those present)."""
        view = self._current()
        found = ((i, view.positions.get(i)) for i in memory_ids)
        return {i: {"importance": float(view.importance[row]),
                    "created_at": float(view.created[row])}
                for i, row in found if row is not None and row < view.size}

    # -- helpers ------------------------------------------------------------------------

    def _current(self) -> _View:
        with self._lock:
            return self._view

    def _publish(self, view: _View) -> None:
        with self._lock:
            self._view = view

    def _grown(self, view: _View, capacity: int) -> _View:
        vectors = np.zeros((capacity, self.dimension), np.float32)
        created, importance = np.zeros(capacity), np.zeros(capacity, np.float32)
        vectors[:view.size], created[:view.size] = view.vectors[:view.size], view.created[
            :view.size]
        importance[:view.size] = view.importance[:view.size]
        return _View(view.size, vectors, created, importance, view.ids[:view.size],
                     dict(view.positions))

    @staticmethod
    def _candidates(view: _View, bounds: Bounds) -> npt.NDArray[np.intp] | None:
        """The rows within bounds, or None for all of them."""
        if bounds.since is None and bounds.until is None and bounds.only is None:
            return None
        mask = np.ones(view.size, dtype=bool)
        created = view.created[:view.size]
        if bounds.since is not None:
            mask &= created >= bounds.since
        if bounds.until is not None:
            mask &= created < bounds.until
        if bounds.only is not None:
            allowed = np.zeros(view.size, dtype=bool)
            rows = [view.positions.get(i) for i in bounds.only]
            allowed[[r for r in rows if r is not None and r < view.size]] = True
            mask &= allowed
        return np.flatnonzero(mask)


def _unit(vectors: Floats) -> Floats:
    """Rows scaled to length 1, so that a dot product is the cosine similarity."""
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms == 0, 1, norms)).astype(np.float32, copy=False)


def _top(scores: Floats, k: int) -> npt.NDArray[np.intp]:
    """The indices of the k highest scores, highest first (ties: the earlier row)."""
    if k < len(scores):
        part = np.argpartition(-scores, k - 1)[:k]
        return part[np.lexsort((part, -scores[part]))]
    return np.lexsort((np.arange(len(scores)), -scores))
