"""`RowCache`: recently added or read memories (every column but the vector), by id, bounded.

A search shows ten rows; reading them from LanceDB (`id IN (...)`) costs a scan of the id
column, several ms, and more as the table grows.  The rows a persona just wrote and the ones
its searches just showed are the ones asked for again, so they are served from memory.  The
table's writer drops a row when it changes it; a reader that fetched a row before such a change
does not put it back (`generation`), so the cache never holds a stale row.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable
from typing import Any, Final, final

Row = dict[str, Any]
MAX_ROWS: Final = 10_000  # about 5 MB of short memories


@final
class RowCache:
    """The last `max_rows` rows used, by id; thread-safe."""

    def __init__(self, columns: Collection[str], max_rows: int = MAX_ROWS) -> None:
        self.columns = frozenset(columns)
        self.max_rows = max_rows
        self._rows: OrderedDict[str, Row] = OrderedDict()
        self._lock = threading.Lock()
        self.generation = 0  # bumped by every change: a read older than it is not cached

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

    def drop(self, ids: Iterable[str]) -> None:
        """Forget rows that changed (the writer's thread, after the change is committed)."""
        with self._lock:
            self.generation += 1
            for i in ids:
                self._rows.pop(i, None)
