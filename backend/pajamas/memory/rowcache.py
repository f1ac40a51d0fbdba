"""`RowCache`: recently added or read memories (every column but the vector), by id, bounded.

A search shows ten rows; reading them from LanceDB (`id IN (...)`) costs a scan of the id
column, several ms, and more as the table grows.  The rows a persona just wrote and the ones
its searches just showed are the ones asked for again, so they are served from memory.  The
table's writer drops a row when it changes it; a reader that fetched a row before such a change
does not put it back (`generation`), so the cache never holds a stale row.

Each persona's cache keeps up to `MAX_ROWS`; a `RowBudget` bounds them together (`TOTAL_ROWS`),
so the rows kept do not grow with the number of personas in use: past it, the largest cache
drops its least recently used rows.  Bounded per persona only, the caches of a 15-minute mixed
load on 10 personas held 38,000 rows more at its end than after its warm-up (about 0.9 KB
each), toward a bound of 100,000.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Collection, Iterable
from typing import Any, Final, final

Row = dict[str, Any]
MAX_ROWS: Final = 10_000  # one persona's: about 9 MB of short memories
TOTAL_ROWS: Final = 20_000  # every persona's together (`RowBudget`)


@final
class RowCache:
    """The last `max_rows` rows used, by id; thread-safe."""

    def __init__(self, columns: Collection[str], max_rows: int = MAX_ROWS) -> None:
        self.columns = frozenset(columns)
        self.max_rows = max_rows
        self._rows: OrderedDict[str, Row] = OrderedDict()
        self._lock = threading.Lock()
        self.generation = 0  # bumped by every change: a read older than it is not cached
        self.budget: RowBudget | None = None  # the bound shared with other personas' caches

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, ids: Iterable[str]) -> dict[str, Row]:
        """The cached rows among ids."""
        with self._lock:
            found = {i: self._rows[i] for i in ids if i in self._rows}
            for i in found:
                self._rows.move_to_end(i)
        return {i: dict(row) for i, row in found.items()}  # callers may change their copy

    def put(self, rows: Iterable[Row], *, generation: int | None = None) -> None:
        """Keep rows (read at generation: dropped if a change came since)."""
        with self._lock:
            if generation is not None and generation != self.generation:
                return
            for row in rows:
                self._rows[row["id"]] = row
                self._rows.move_to_end(row["id"])
            while len(self._rows) > self.max_rows:
                self._rows.popitem(last=False)
        if self.budget is not None:  # not under this cache's lock: the budget takes each
            self.budget.settle()

    def shed(self, count: int) -> int:
        """Drop up to count least recently used rows: how many went."""
        with self._lock:
            gone = min(count, len(self._rows))
            for _ in range(gone):
                self._rows.popitem(last=False)
            return gone

    def drop(self, ids: Iterable[str]) -> None:
        """Forget rows that changed (the writer's thread, after the change is committed)."""
        with self._lock:
            self.generation += 1
            for i in ids:
                self._rows.pop(i, None)


@final
class RowBudget:
    """At most `total` rows in the caches that join it, together; thread-safe."""

    def __init__(self, total: int = TOTAL_ROWS) -> None:
        self.total = total
        self._caches: weakref.WeakSet[RowCache] = weakref.WeakSet()  # a closed table's goes
        self._lock = threading.Lock()

    def join(self, cache: RowCache) -> None:
        """Count cache's rows in the budget from now on."""
        with self._lock:
            self._caches.add(cache)
        cache.budget = self
        self.settle()

    def rows(self) -> int:
        """The rows the caches hold together."""
        with self._lock:
            return sum(len(cache) for cache in self._caches)

    def settle(self) -> None:
        """While the caches hold more than total, the largest drops its oldest rows."""
        with self._lock:  # one settle at a time; a cache's own lock is taken only inside
            caches = list(self._caches)
            over = sum(len(cache) for cache in caches) - self.total
            while over > 0 and caches:
                largest = max(caches, key=len)
                runner_up = max((len(c) for c in caches if c is not largest), default=0)
                gone = largest.shed(max(1, min(over, len(largest) - runner_up)))
                if not gone:
                    return
                over -= gone
