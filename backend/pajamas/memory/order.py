"""`NewestFirst`: a table's memory ids in `memory.list`'s order, read once until the next write.

`memory.list` pages through every memory newest first.  Sorting means reading the id and
`created_at` of every row: 100 to 200 ms at 100,000 memories, which a person scrolling the
list paid on every page.  The order is read once and kept until a write changes it, so the
pages after the first are a slice.  It is an Arrow array (about 36 bytes a memory) and goes
when the table's vectors are released (`forget`), so an idle persona keeps nothing.

A write bumps `changed` after it commits; an order read while a write ran is kept only when no
write came meanwhile, so a kept order never misses a committed write.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import final

import pyarrow as pa  # type: ignore[import-untyped]

Scan = Callable[[list[str]], pa.Table]  # some columns of every row (`MemoryTable.scan`)


@final
class NewestFirst:
    """Every memory id, newest first (ties by id), as of the last write; thread-safe."""

    def __init__(self, scan: Scan) -> None:
        self._scan = scan
        self._lock = threading.Lock()
        self._writes = 0  # bumped by every committed write
        self._kept: tuple[int, pa.Array] | None = None  # (writes when read, ids)

    def ids(self) -> pa.Array:
        """The ids in order: kept, or read afresh when a write came since."""
        with self._lock:
            writes, kept = self._writes, self._kept
        if kept is not None and kept[0] == writes:
            return kept[1]
        index = self._scan(["id", "created_at"]).sort_by([("created_at", "descending"),
                                                          ("id", "ascending")])
        ids = index["id"].combine_chunks()
        with self._lock:
            if self._writes == writes:
                self._kept = (writes, ids)
        return ids

    def changed(self) -> None:
        """A write committed: the kept order is stale."""
        with self._lock:
            self._writes += 1
            self._kept = None

    def forget(self) -> None:
        """Drop the kept order (the persona's memory is being released)."""
        with self._lock:
            self._kept = None
