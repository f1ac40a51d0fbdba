"""`VectorIndex`: an in-memory copy of one table's vectors, searched with numpy.

LanceDB pays about 4 ms a query and re-reads the vectors from disk; one matrix-vector product
over an in-memory copy takes 0.4 ms at 10,000 rows, so vector search scores in memory.  The copy
is loaded when the table opens and kept in step by the table's writer after each commit (it is
the only one changing the table).  It is compact (compact.py: int8 codes, a quarter of float32):
the best candidates by the codes (`RESCORE_FACTOR` times k, at most `RESCORE_MOST`) are scored
again exactly, with the float32 vectors the injected `exact` reads from the table, so the top
results and their scores are those of exact float32 search.  A ranking that only feeds a fusion
by rank (hybrid search) may skip that (`rescore=False`): reading the vectors costs 7 to 12 ms at
100,000 rows, and LoCoMo's recall@10 was the same without it (hybrid 0.744 against 0.743, the
vector leg 0.477 either way).

The copy may be released (`release`: the resident budget, resident.py) and loaded again by the
table; while released, writes leave it alone (the table has them) and it answers nothing.  A
copy laid out in lists comes back in the same lists, each row read put back where it was
(`reserve` with a `Placement`, then `loaded`: placement.py), with no new layout.

A large table (`Policy.min_rows`) is grouped into inverted lists (`ann.Lists`) on a background
thread, and its searches score the nearest lists plus every row added or changed since (the
"tail", scored exactly); until the first layout is installed, search is exact.

Readers take a `_View` (sizes and array references) under a short lock and search it without
the lock: appends write past the view's size into spare capacity, and deletes and layouts build
new arrays, so a view never sees a half-made change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import compress
from typing import Any, Final, final

import numpy as np
import numpy.typing as npt

from pajamas import heap
from pajamas.memory import ann, compact
from pajamas.memory.ann import Layout, Lists, Policy
from pajamas.memory.compact import Codes, Decoded, quantize
from pajamas.memory.placement import Placement, RowIdArray

Ranked = list[tuple[str, float]]  # (memory id, score), best first
Floats = npt.NDArray[np.float32]
Times = npt.NDArray[np.float64]
Rows = npt.NDArray[np.intp]
Mask = npt.NDArray[np.bool_]
GROWTH: Final = 1.5  # spare capacity on a full append: amortised O(1) without doubling RSS
GATHER_SHARE: Final = 0.25  # above this share of the rows, score all and pick, not gather
BUILD_ATTEMPTS: Final = 3  # layouts thrown away because deletes or updates raced them
RESCORE_FACTOR: Final = 4  # the exact top k was always within the codes' top 4 k (compact.py)
RESCORE_MOST: Final = 40  # deeper ranks (the fusion's pool) keep the codes' scores
#: Python objects per row besides the arrays: its id (str), the ids list's and positions
#: dict's slots, and the table's `RowIds` entry (measured with tracemalloc at 100,000 rows).
ROW_OBJECT_BYTES: Final = 250
Exact = Callable[[Sequence[str]], Mapping[str, "Floats"]]  # ids -> their float32 vectors


@dataclass(frozen=True)
class Bounds:
    """Which rows a search may return: `at` in [since, until), and id in only."""

    since: float | None = None
    until: float | None = None
    only: Collection[str] | None = None


@dataclass
class _Placing:
    """A reload in progress: its placement, which positions got their row, and the rows the
    placement did not know (appended once every row is read)."""

    placement: Placement
    filled: Mask  # by position
    ids: npt.NDArray[np.object_]  # by position: the ids read so far
    extra: list[tuple[list[str], Floats, Times, Floats]] = field(default_factory=list)


@dataclass(frozen=True)
class _View:
    size: int
    codes: Codes
    scales: Floats
    created: Times
    importance: Floats
    ids: list[str]
    positions: dict[str, int]
    lists: Lists | None = None


@final
class VectorIndex:
    """Unit-length vectors, their ids, `at` (when each happened) and importance, by row."""

    def __init__(self, dimension: int, policy: Policy | None = None, *,
                 background: bool = True, exact: Exact | None = None) -> None:
        self.dimension, self.policy, self._background = dimension, policy or Policy(), background
        self._exact = exact  # None: the codes' scores are the result (no re-scoring)
        self._released = False
        self._lock = threading.Lock()  # publishing a view
        self._writing = threading.RLock()  # writes and layout installs, one at a time
        self._generation = 0  # changes when rows move or a vector changes (layouts race it)
        self._building = False
        self._loading = 0  # rows promised by reserve: no layout starts before they are in
        self._placing: _Placing | None = None  # a reload putting rows back (reserve..loaded)
        self._view = _empty(dimension)
        ann.single_threaded_blas()

    def __len__(self) -> int:
        return self._view.size

    @property
    def resident(self) -> bool:
        """Whether the vectors are in memory (False once released)."""
        return not self._released

    def resident_bytes(self) -> int:
        """About how much memory the in-memory copy holds (0 when released)."""
        view = self._current()
        arrays = (view.codes.nbytes + view.scales.nbytes + view.created.nbytes
                  + view.importance.nbytes)
        return 0 if self._released else arrays + view.size * ROW_OBJECT_BYTES

    def release(self) -> int:
        """Drop the in-memory copy (the table's writer thread): about the bytes freed.

        Readers that hold a view keep theirs until they finish; a layout being built is
        thrown away (the generation changes); later writes are ignored until the table loads
        a new index.
        """
        with self._writing:
            freed = self.resident_bytes()
            self._released = True
            self._generation += 1
            self._publish(_empty(self.dimension))
        return freed

    # -- writes (the table's writer thread only) ----------------------------------------

    def reserve(self, rows: int, placement: Placement | None = None) -> None:
        """Make room for rows in all, about to be appended in batches (a table's open or a
        reload); with a placement (a reload), each appended row goes back to its old position
        until `loaded`."""
        with self._writing:
            if placement is not None:
                rows = max(rows, placement.size)
                self._placing = _Placing(placement, np.zeros(placement.size, dtype=bool),
                                         np.empty(placement.size, dtype=object))
            if rows > len(self._view.codes):
                self._publish(_grown(self._view, rows))
            self._loading = rows

    def loaded(self) -> None:
        """The reserved rows are all in (a reload with a placement: its rows are the view).

        Positions no row came back to are dropped, the lists keeping the others' order, and
        the rows the placement did not know join the tail.
        """
        with self._writing:
            placing, self._placing = self._placing, None
            if placing is None:
                return
            view, keep = self._view, placing.filled
            size = int(np.count_nonzero(keep))
            if size < len(keep):
                kept = np.flatnonzero(keep)
                for column in (view.codes, view.scales, view.created, view.importance):
                    column[:size] = column[kept]
            ids: list[str] = placing.ids[keep].tolist()
            self._publish(replace(view, size=size, ids=ids, lists=placing.placement.lists.kept(
                keep), positions=dict(zip(ids, range(size), strict=True))))
            self._loading = 0
            if placing.extra:  # in one append: no layout starts before they are all in
                ids_, vectors, created, importance = zip(*placing.extra, strict=True)
                self.append([i for part in ids_ for i in part], np.concatenate(vectors),
                            np.concatenate(created), np.concatenate(importance))
        self._consider_layout()

    def laid_out(self) -> tuple[list[str], Lists] | None:
        """(the ids by row, the lists) of an index laid out in lists (what a release may
        keep as a `Placement`), else None."""
        view = self._current()
        if self._released or view.lists is None:
            return None
        return view.ids[:view.size], view.lists

    def append(self, ids: Sequence[str], vectors: Floats, created: Times,
               importance: Floats, rowids: RowIdArray | None = None) -> None:
        """Add rows at the end (after they are committed); while a reload places rows (their
        row ids given), at their old positions."""
        with self._writing:
            if self._released:
                return
            if self._placing is not None and rowids is not None:
                self._place(self._placing, ids, vectors, created, importance, rowids=rowids)
                return
            view, count = self._view, len(ids)
            end = view.size + count
            if end > len(view.codes):
                view = _grown(view, max(end, int(len(view.codes) * GROWTH)))
            view.codes[view.size:end], view.scales[view.size:end] = quantize(_unit(vectors))
            view.created[view.size:end] = created
            view.importance[view.size:end] = importance
            view.ids[view.size:end] = list(ids)  # ids past size belong to no view yet
            view.positions.update((memory_id, view.size + n) for n, memory_id in enumerate(ids))
            self._publish(replace(view, size=end))
        self._consider_layout()

    def _place(self, placing: _Placing, ids: Sequence[str], vectors: Floats, created: Times,
               importance: Floats, *, rowids: RowIdArray) -> None:
        """Write rows to their positions in the placement; keep the others for the tail."""
        found, rows = placing.placement.find(rowids)
        view = self._view
        codes, scales = quantize(_unit(vectors[found]))
        view.codes[rows], view.scales[rows] = codes, scales
        view.created[rows], view.importance[rows] = created[found], importance[found]
        placing.ids[rows] = np.array(ids, dtype=object)[found]
        placing.filled[rows] = True
        if not found.all():
            other = ~found
            placing.extra.append((list(compress(ids, other)), vectors[other], created[other],
                                  importance[other]))

    def update(self, memory_id: str, *, vector: Floats | None = None,
               importance: float | None = None) -> None:
        """Change one row in place (a reader sees the old or the new value)."""
        with self._writing:
            view = self._view
            row = view.positions.get(memory_id)
            if row is None:
                return
            if vector is not None:
                codes, scales = quantize(_unit(vector.reshape(1, -1)))
                view.codes[row], view.scales[row] = codes[0], scales[0]
                self._generation += 1
                if view.lists is not None:  # it may now belong to another list
                    self._publish(replace(view, lists=view.lists.marked(row)))
            if importance is not None:
                view.importance[row] = importance

    def remove(self, memory_ids: Collection[str]) -> None:
        """Drop rows, into new arrays so that current readers keep theirs."""
        with self._writing:
            view = self._view
            if self._released:
                return
            keep = np.array([i not in memory_ids for i in view.ids[:view.size]], dtype=bool)
            ids = [i for i in view.ids[:view.size] if i not in memory_ids]
            self._generation += 1
            self._publish(_View(len(ids), view.codes[:view.size][keep].copy(),
                                view.scales[:view.size][keep].copy(),
                                view.created[:view.size][keep].copy(),
                                view.importance[:view.size][keep].copy(), ids,
                                {memory_id: n for n, memory_id in enumerate(ids)},
                                None if view.lists is None else view.lists.kept(keep)))

    # -- reads --------------------------------------------------------------------------

    def search(self, query: Floats, k: int, bounds: Bounds, *, rescore: bool = True) -> Ranked:
        """The k rows nearest to query by cosine similarity, within bounds, best first.

        Every row while the table has no lists; with lists, the rows of the lists nearest
        the query, the fresh tail and the changed rows.  Scored by the codes, the best
        candidates again exactly unless not rescore (see the module's docstring).
        """
        view = self._current()
        unit = _unit(query.reshape(1, -1))[0]
        rows, scores = self._candidates(view, unit, bounds, k)
        exact = rescore and self._exact is not None
        wanted = min(RESCORE_FACTOR * k, RESCORE_MOST) if exact else 0
        ranked = _best(view, rows, scores, max(k, wanted))
        if wanted:
            ranked = self._rescored(ranked[:wanted], unit) + ranked[wanted:]
        return ranked[:k]

    def _candidates(self, view: _View, unit: Floats, bounds: Bounds,
                    k: int) -> tuple[Rows, Floats]:
        """The rows a search looks at, scored by their codes."""
        mask = _mask(view, bounds)
        allowed = None if mask is None else np.flatnonzero(mask)
        lists = view.lists
        few = allowed is not None and len(allowed) <= self.policy.min_scan  # cheaper exact
        if lists is not None and not few:
            rows, scores = self._approximate(view, lists, unit, mask)
            if len(rows) >= min(k, view.size if allowed is None else len(allowed)):
                return rows, scores
        return _exact(view, unit, allowed)

    def _rescored(self, ranked: Ranked, unit: Floats) -> Ranked:
        """ranked scored with the exact vectors (a row the table no longer has keeps its
        score), best first."""
        assert self._exact is not None
        found = self._exact([memory_id for memory_id, _ in ranked])
        ids = [memory_id for memory_id, _ in ranked if memory_id in found]
        if ids:
            exact = _unit(np.stack([found[i] for i in ids])) @ unit
            scored = dict(zip(ids, exact.tolist(), strict=True))
            ranked = [(i, scored.get(i, score)) for i, score in ranked]
        return sorted(ranked, key=lambda pair: -pair[1])  # stable: ties keep their order

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
        """{"lists", "listed", "fresh", "changed", "building", "resident"}: how search covers
        the rows, and whether they are in memory."""
        view = self._current()
        lists = view.lists
        return {"lists": 0 if lists is None else len(lists.centroids),
                "listed": 0 if lists is None else lists.listed,
                "fresh": view.size - (0 if lists is None else lists.listed),
                "changed": 0 if lists is None else len(lists.stale),
                "building": self._building, "resident": not self._released}

    # -- layouts ------------------------------------------------------------------------

    def build(self) -> bool:
        """Group the current rows into lists now (on this thread); False if writes raced it."""
        try:
            for _ in range(BUILD_ATTEMPTS):
                with self._writing:
                    view, generation = self._view, self._generation
                if self._released or not view.size:
                    return False
                layout = ann.build(Decoded(view.codes, view.scales, view.size), self.policy,
                                   view.lists)
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
        threading.Thread(target=self._build_then_settle, name="pajamas-vector-lists",
                         daemon=True).start()

    def _build_then_settle(self) -> None:
        """Lay the rows out, then give the old view's freed arrays back and freeze what is left
        (`heap.after_work`)."""
        if self.build():
            heap.after_work("a vector layout")

    def _approximate(self, view: _View, lists: Lists, query: Floats,
                     mask: Mask | None) -> tuple[Rows, Floats]:
        """The rows of the lists nearest query, the tail and the changed rows, scored."""
        ranges = lists.probe(query, self.policy)
        if view.size > lists.listed:
            ranges.append((lists.listed, view.size))
        rows = np.concatenate([np.arange(a, b) for a, b in ranges] or [np.zeros(0, np.intp)])
        scores = np.concatenate([compact.scores(view.codes[a:b], view.scales[a:b], query)
                                 for a, b in ranges] or [np.zeros(0, np.float32)])
        if len(lists.stale):
            extra = np.setdiff1d(lists.stale, rows)
            rows = np.concatenate([rows, extra])
            scores = np.concatenate([scores, compact.scores(view.codes[extra],
                                                            view.scales[extra], query)])
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


def _empty(dimension: int) -> _View:
    return _View(0, np.zeros((0, dimension), np.int8), np.zeros(0, np.float32), np.zeros(0),
                 np.zeros(0, np.float32), [], {})


def _grown(view: _View, capacity: int) -> _View:
    """view with its arrays copied into capacity rows."""
    codes = np.zeros((capacity, view.codes.shape[1]), np.int8)
    scales, importance = np.zeros(capacity, np.float32), np.zeros(capacity, np.float32)
    created = np.zeros(capacity)
    size = view.size
    codes[:size], scales[:size] = view.codes[:size], view.scales[:size]
    created[:size], importance[:size] = view.created[:size], view.importance[:size]
    return replace(view, codes=codes, scales=scales, created=created, importance=importance,
                   ids=view.ids[:size], positions=dict(view.positions))


def _laid_out(view: _View, layout: Layout) -> _View:
    """New arrays holding view's first rows in the layout's order (the slow part, unlocked)."""
    order, listed = layout.order, len(layout.order)
    capacity = max(len(view.codes), listed)
    codes = np.empty((capacity, view.codes.shape[1]), np.int8)
    np.take(view.codes[:listed], order, axis=0, out=codes[:listed])
    scales, created = np.zeros(capacity, np.float32), np.zeros(capacity)
    scales[:listed], created[:listed] = view.scales[:listed][order], view.created[:listed][order]
    ids = [view.ids[row] for row in order]
    return _View(listed, codes, scales, created, np.zeros(capacity, np.float32), ids,
                 {memory_id: n for n, memory_id in enumerate(ids)}, layout.lists)


def _installed(ready: _View, now: _View, layout: Layout) -> _View:
    """ready, with the rows appended to now since the layout began as its tail."""
    listed, end = ready.size, now.size
    if end > len(ready.codes):
        ready = _grown(ready, int(end * GROWTH))
    ready.codes[listed:end], ready.scales[listed:end] = (now.codes[listed:end],
                                                         now.scales[listed:end])
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
    size = view.size
    if allowed is None or len(allowed) > GATHER_SHARE * size:
        scores = compact.scores(view.codes[:size], view.scales[:size], query)
        return (np.arange(size), scores) if allowed is None else (allowed, scores[allowed])
    return allowed, compact.scores(view.codes[allowed], view.scales[allowed], query)


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
