"""`RowIds`: where each memory sits in its table (LanceDB's `_rowid`), to read rows by position.

Reading a search's ten rows by `id IN (...)` scans the id column: about 8 ms at 100,000 rows.
`take_row_ids` reads them by position in about 3 ms.  A row's position is only known while it
stays where it was read: an update moves it, a compaction rewrites every fragment.  So the map
forgets a row when it changes and is read afresh after a compaction; rows it does not know (new
ones, moved ones) are read by id.  `take_row_ids` skips positions that no longer hold a row,
and the caller checks every row it gets by id, so a stale position is never trusted.

The map also runs the other way, position -> id, for the full-text search: asked for ids, its
BM25 query reads the id column of its 100 best rows (about 10 ms at 100,000 rows); asked only
for positions it takes about 6 ms, and the ids come from here (5 MB at 100,000 rows).  A
position is never given to another row (new and rewritten rows go to fragments with new
numbers), so a known position names its row until that row changes or goes, when the map
forgets it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import TypeVar, final

K = TypeVar("K")
V = TypeVar("V")


@final
class RowIds:
    """Memory id <-> LanceDB row id, for the rows whose position is known; thread-safe."""

    def __init__(self) -> None:
        self._rows: dict[str, int] = {}
        self._ids: dict[int, str] = {}  # the same pairs, by row id
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._rows)

    def put(self, ids: Sequence[str], rowids: Sequence[int]) -> None:
        """Record where these rows are."""
        with self._lock:
            for moved in [self._rows[i] for i in ids if i in self._rows]:
                self._ids.pop(moved, None)
            self._rows.update(zip(ids, rowids, strict=True))
            self._ids.update(zip(rowids, ids, strict=True))

    def replace(self, ids: Sequence[str], rowids: Sequence[int]) -> None:
        """Forget every position and record these (after a compaction moved every row)."""
        fresh = dict(zip(ids, rowids, strict=True))
        by_row = {row: memory_id for memory_id, row in fresh.items()}
        with self._lock:
            self._rows, self._ids = fresh, by_row

    def drop(self, ids: Iterable[str]) -> None:
        """Forget rows that moved or went (an update or a delete)."""
        with self._lock:
            for memory_id in ids:
                row = self._rows.pop(memory_id, None)
                if row is not None:
                    self._ids.pop(row, None)

    def split(self, ids: Iterable[str]) -> tuple[dict[str, int], list[str]]:
        """({id: row id} for the known rows, [the other ids])."""
        with self._lock:
            return _known(self._rows, ids)

    def rows_of(self, ids: Iterable[str]) -> list[int | None]:
        """The row id of each of ids (None where not known), in ids' order."""
        with self._lock:
            return list(map(self._rows.get, ids))

    def ids_at(self, rowids: Iterable[int]) -> tuple[dict[int, str], list[int]]:
        """({row id: memory id} for the known positions, [the other row ids])."""
        with self._lock:
            return _known(self._ids, rowids)


def _known(mapping: dict[K, V], keys: Iterable[K]) -> tuple[dict[K, V], list[K]]:
    """({key: value} for the keys in mapping, [the other keys]), in keys' order."""
    known: dict[K, V] = {}
    unknown: list[K] = []
    for key in keys:
        value = mapping.get(key)
        if value is None:
            unknown.append(key)
        else:
            known[key] = value
    return known, unknown
