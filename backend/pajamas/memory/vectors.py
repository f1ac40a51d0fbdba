"""`VectorIndex`: an in-memory copy of one table's vectors, searched with numpy.

LanceDB pays about 4 ms a query and re-reads the vectors from disk; one matrix-vector product
over an in-memory float32 copy is exact and takes 0.4 ms at 10,000 rows, so vector search never
touches the table.  The copy is loaded when the table opens and kept in step by the table's
writer after each commit (it is the only one changing the table).

A large table (`Policy.min_rows`) is grouped into inverted lists (`ann.Lists`) on a background
thread, and its searches score the nearest lists plus every row added or changed since (the
"tail", scored exactly); until the first layout is installed, search is exact.

Readers take a `_View` (sizes and array references) under a short lock and search it without
the lock: appends write past the view's size into spare capacity, and deletes and layouts build
new arrays, so a view never sees a half-made change.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, final

import numpy as np
import numpy.typing as npt

from pajamas import heap
from pajamas.memory import ann
from pajamas.memory.ann import Layout, Lists, Policy

Ranked = list[tuple[str, float]]  # (memory id, score), best first
Floats = npt.NDArray[np.float32]
Times = npt.NDArray[np.float64]
Rows = npt.NDArray[np.intp]
Mask = npt.NDArray[np.bool_]
GROWTH: Final = 1.5  # spare capacity on a full append: amortised O(1) without doubling RSS
GATHER_SHARE: Final = 0.25  # above this share of the rows, score all and pick, not gather
BUILD_ATTEMPTS: Final = 3  # layouts thrown away because deletes or updates raced them


@dataclass(frozen=True)
class Bounds:
    """Which rows a search may return: `at` in [since, until), and id in only."""

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
    lists: Lists | None = None


@final
class VectorIndex:
    """Unit-length vectors, their ids, `at` (when each happened) and importance, by row."""

    def __init__(self, dimension: int, policy: Policy | None = None, *,
                 background: bool = True) -> None:
        self.dimension, self.policy, self._background = dimension, policy or Policy(), background
        self._lock = threading.Lock()  # publishing a view
        self._writing = threading.RLock()  # writes and layout installs, one at a time
        self._generation = 0  # changes when rows move or a vector changes (layouts race it)
        self._building = False
        self._loading = 0  # rows promised by reserve: no layout starts before they are in
        self._view = _View(0, np.zeros((0, dimension), np.float32), np.zeros(0),
                           np.zeros(0, np.float32), [], {})
        ann.single_threaded_blas()

    def __len__(self) -> int:
        return self._view.size

    # -- writes (the table's writer thread only) ----------------------------------------

    def reserve(self, rows: int) -> None:
        """Make room for rows in all, about to be appended in batches (a table's open)."""
        with self._writing:
            if rows > len(self._view.vectors):
                self._publish(_grown(self._view, rows))
            self._loading = rows

    def append(self, ids: Sequence[str], vectors: Floats, created: Times,
               importance: Floats) -> None:
        """Add rows at the end (after they are committed)."""
        with self._writing:
            view, count = self._view, len(ids)
            end = view.size + count
            if end > len(view.vectors):
                view = _grown(view, max(end, int(len(view.vectors) * GROWTH)))
            view.vectors[view.size:end] = _unit(vectors)
            view.created[view.size:end] = created
            view.importance[view.size:end] = importance
            view.ids[view.size:end] = list(ids)  # ids past size belong to no view yet
            view.positions.update((memory_id, view.size + n) for n, memory_id in enumerate(ids))
            self._publish(replace(view, size=end))
        self._consider_layout()

    def update(self, memory_id: str, *, vector: Floats | None = None,
               importance: float | None = None) -> None:
        """Change one row in place (a reader sees the old or the new value)."""
        with self._writing:
            view = self._view
            row = view.positions.get(memory_id)
            if row is None:
                return
            if vector is not None:
                view.vectors[row] = _unit(vector.reshape(1, -1))[0]
                self._generation += 1
                if view.lists is not None:  # it may now belong to another list
                    self._publish(replace(view, lists=view.lists.marked(row)))
            if importance is not None:
                view.importance[row] = importance

    def remove(self, memory_ids: Collection[str]) -> None:
        """Drop rows, into new arrays so that current readers keep theirs."""
        with self._writing:
            view = self._view
            keep = np.array([i not in memory_ids for i in view.ids[:view.size]], dtype=bool)
            ids = [i for i in view.ids[:view.size] if i not in memory_ids]
            self._generation += 1
            self._publish(_View(len(ids), view.vectors[:view.size][keep].copy(),
                                view.created[:view.size][keep].copy(),
                                view.importance[:view.size][keep].copy(), ids,
                                {memory_id: n for n, memory_id in enumerate(ids)},
                                None if view.lists is None else view.lists.kept(keep)))

    # -- reads --------------------------------------------------------------------------

    def search(self, query: Floats, k: int, bounds: Bounds) -> Ranked:
        """The k rows nearest to query by cosine similarity, within bounds, best first.

        Exact while the table has no lists; with lists, exact over the rows they cover
        nearest the query, the fresh tail and the changed rows.
        """
        view = self._current()
        unit = _unit(query.reshape(1, -1))[0]
        mask = _mask(view, bounds)
        allowed = None if mask is None else np.flatnonzero(mask)
        lists = view.lists
        few = allowed is not None and len(allowed) <= self.policy.min_scan  # cheaper exact
        if lists is not None and not few:
            rows, scores = self._approximate(view, lists, unit, mask)
            if len(rows) >= min(k, view.size if allowed is None else len(allowed)):
                return _best(view, rows, scores, k)
        return _best(view, *_exact(view, unit, allowed), k)

    def count(self, bounds: Bounds) -> int:
        """How many rows are within bounds."""
        view = self._current()
        mask = _mask(view, bounds)
        return view.size if mask is None else int(np.count_nonzero(mask))

    def facts(self, memory_ids: Collection[str]) -> dict[str, dict[str, float]]:
        """{"importance", "at"} of the rows with these ids (those present)."""
        view = self._current()
        found = ((i, view.positions.get(i)) for i in memory_ids)
        return {i: {"importance": float(view.importance[row]),
                    "at": float(view.created[row])}
                for i, row in found if row is not None and row < view.size}

    def layout(self) -> dict[str, Any]:
        """{"lists", "listed", "fresh", "changed", "building"}: how search covers the rows."""
        view = self._current()
        lists = view.lists
        return {"lists": 0 if lists is None else len(lists.centroids),
                "listed": 0 if lists is None else lists.listed,
                "fresh": view.size - (0 if lists is None else lists.listed),
                "changed": 0 if lists is None else len(lists.stale),
                "building": self._building}

    # -- layouts ------------------------------------------------------------------------

    def build(self) -> bool:
        """Group the current rows into lists now (on this thread); False if writes raced it."""
        try:
            for _ in range(BUILD_ATTEMPTS):
                with self._writing:
                    view, generation = self._view, self._generation
                layout = ann.build(view.vectors[:view.size], self.policy, view.lists)
                ready = _laid_out(view, layout)
                with self._writing:
                    if self._generation == generation:
                        self._publish(_installed(ready, self._view, layout))
                        return True
            return False
        finally:
            self._building = False

    def _consider_layout(self) -> None:
        """Start a layout when the table outgrew exact search or its lists."""
        view = self._view
        if view.size < self._loading:
            return
        self._loading = 0
        if self._building or not self.policy.wants_build(view.lists, view.size):
            return
        self._building = True
        if not self._background:
            self.build()
            return
        threading.Thread(target=self._build_then_trim, name="pajamas-vector-lists",
                         daemon=True).start()

    def _build_then_trim(self) -> None:
        """Lay the rows out, then give the heap the old view's freed arrays back."""
        if self.build():
            heap.trim("a vector layout")

    def _approximate(self, view: _View, lists: Lists, query: Floats,
                     mask: Mask | None) -> tuple[Rows, Floats]:
        """The rows of the lists nearest query, the tail and the changed rows, scored."""
        ranges = lists.probe(query, self.policy)
        if view.size > lists.listed:
            ranges.append((lists.listed, view.size))
        rows = np.concatenate([np.arange(a, b) for a, b in ranges] or [np.zeros(0, np.intp)])
        scores = np.concatenate([view.vectors[a:b] @ query for a, b in ranges]
                                or [np.zeros(0, np.float32)])
        if len(lists.stale):
            extra = np.setdiff1d(lists.stale, rows)
            rows = np.concatenate([rows, extra])
            scores = np.concatenate([scores, view.vectors[extra] @ query])
        if mask is not None:
            keep = mask[rows]
            rows, scores = rows[keep], scores[keep]
        return rows, scores

    # -- helpers ------------------------------------------------------------------------

    def _current(self) -> _View:
        with self._lock:
            return self._view

    def _publish(self, view: _View) -> None:
        with self._lock:
            self._view = view


def _grown(view: _View, capacity: int) -> _View:
    """view with its arrays copied into capacity rows."""
    vectors = np.zeros((capacity, view.vectors.shape[1]), np.float32)
    created, importance = np.zeros(capacity), np.zeros(capacity, np.float32)
    vectors[:view.size], created[:view.size] = view.vectors[:view.size], view.created[
        :view.size]
    importance[:view.size] = view.importance[:view.size]
    return replace(view, vectors=vectors, created=created, importance=importance,
                   ids=view.ids[:view.size], positions=dict(view.positions))


def _laid_out(view: _View, layout: Layout) -> _View:
    """New arrays holding view's first rows in the layout's order (the slow part, unlocked)."""
    order, listed = layout.order, len(layout.order)
    vectors = np.empty((max(len(view.vectors), listed), view.vectors.shape[1]), np.float32)
    np.take(view.vectors[:listed], order, axis=0, out=vectors[:listed])
    created = np.zeros(len(vectors))
    created[:listed] = view.created[:listed][order]
    ids = [view.ids[row] for row in order]
    return _View(listed, vectors, created, np.zeros(len(vectors), np.float32), ids,
                 {memory_id: n for n, memory_id in enumerate(ids)}, layout.lists)


def _installed(ready: _View, now: _View, layout: Layout) -> _View:
    """ready, with the rows appended to now since the layout began as its tail."""
    listed, end = ready.size, now.size
    if end > len(ready.vectors):
        ready = _grown(ready, int(end * GROWTH))
    ready.vectors[listed:end] = now.vectors[listed:end]
    ready.created[listed:end] = now.created[listed:end]
    ready.importance[:listed] = now.importance[:listed][layout.order]  # changes in place
    ready.importance[listed:end] = now.importance[listed:end]
    ready.ids[listed:end] = now.ids[listed:end]
    ready.positions.update((now.ids[row], row) for row in range(listed, end))
    return replace(ready, size=end)


def _mask(view: _View, bounds: Bounds) -> Mask | None:
    """Which rows are within bounds, or None for all of them."""
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
    return mask


def _exact(view: _View, query: Floats, allowed: Rows | None) -> tuple[Rows, Floats]:
    """Every allowed row (all when None), scored."""
    if allowed is None:
        return np.arange(view.size), view.vectors[:view.size] @ query
    if len(allowed) > GATHER_SHARE * view.size:
        return allowed, (view.vectors[:view.size] @ query)[allowed]
    return allowed, view.vectors[allowed] @ query


def _best(view: _View, rows: Rows, scores: Floats, k: int) -> Ranked:
    """The k best scored rows as (id, score), best first (ties: the earlier row)."""
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    top = part[np.lexsort((rows[part], -scores[part]))]
    return [(view.ids[row], float(score)) for row, score in zip(rows[top], scores[top],
                                                                 strict=True)]


def _unit(vectors: Floats) -> Floats:
    """Rows scaled to length 1, so that a dot product is the cosine similarity."""
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms == 0, 1, norms)).astype(np.float32, copy=False)
