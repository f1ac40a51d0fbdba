"""Which memories are superseded, and since when, held in memory so that search filters for free.

A memory is superseded when its metadata has "superseded_at" (a time) and "superseded_by"
(the id of the memory that replaced it); consolidation and memory.supersede set them.  It
stays in the table, so a point-in-time search (`as_of`) still finds it: it was valid from its
created_at until its superseded_at.  The table loads the set on open (one filtered scan) and
keeps it in step with every add, update and delete, so a search reads nothing more.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Iterable
from typing import Any, Final, final

import pyarrow as pa  # type: ignore[import-untyped]

from pajamas.memory.vectors import Bounds, Ranked

SUPERSEDED_AT: Final = "superseded_at"
SUPERSEDED_BY: Final = "superseded_by"
_MARK: Final = f'"{SUPERSEDED_AT}"'  # how the key appears in the stored JSON
_WHERE: Final = f"metadata LIKE '%{_MARK}%'"


@final
class Superseded:
    """The superseded memories of one table: id → superseded_at."""

    def __init__(self) -> None:
        self._at: dict[str, float] = {}  # replaced whole on change: readers iterate freely
        self._lock = threading.Lock()

    @classmethod
    def load(cls, scan: Callable[[list[str], str | None], pa.Table]) -> Superseded:
        """The set of a table, read with scan(columns, where)."""
        found = scan(["id", "metadata"], _WHERE)
        loaded = cls()
        loaded.note(found["id"].to_pylist(), found["metadata"].to_pylist())
        return loaded

    def __len__(self) -> int:
        return len(self._at)

    def note(self, ids: Iterable[str], metadata: Iterable[str]) -> None:
        """Record what the stored metadata (JSON) of these memories says (the writer only)."""
        changes = {i: superseded_at(m) for i, m in zip(ids, metadata, strict=True)
                   if _MARK in m or i in self._at}
        if changes:
            with self._lock:
                at = dict(self._at)
                for memory_id, when in changes.items():
                    if when is None:
                        at.pop(memory_id, None)
                    else:
                        at[memory_id] = when
                self._at = at

    def note_rows(self, rows: pa.Table) -> None:
        """Record the superseded ones among added rows (a vectorised check: adds stay fast)."""
        import pyarrow.compute as pc  # type: ignore[import-untyped]  # noqa: PLC0415

        marked = rows.filter(pc.match_substring(rows["metadata"], _MARK))
        if marked.num_rows:
            self.note(marked["id"].to_pylist(), marked["metadata"].to_pylist())

    def forget(self, ids: Iterable[str]) -> None:
        """Drop deleted memories (the writer only)."""
        gone = [i for i in ids if i in self._at]
        if gone:
            with self._lock:
                self._at = {k: v for k, v in self._at.items() if k not in gone}

    def hidden(self, at: float | None) -> set[str]:
        """The ids no longer valid at time at (None: every superseded memory)."""
        current = self._at
        if at is None:
            return set(current)
        return {memory_id for memory_id, when in current.items() if when <= at}


def superseded_at(metadata: str | dict[str, Any]) -> float | None:
    """The time in metadata's "superseded_at" (JSON or a map), if it holds a number."""
    found = (json.loads(metadata) if isinstance(metadata, str) else metadata).get(SUPERSEDED_AT)
    if isinstance(found, bool) or not isinstance(found, int | float) or math.isnan(found):
        return None
    return float(found)


def hidden_for(superseded: Superseded, *, as_of: float | None, until: float | None,
               include: bool) -> set[str]:
    """What a search leaves out: superseded by as_of (else until, else now); none if include."""
    if include:
        return set()
    return superseded.hidden(as_of if as_of is not None else until)


def until_as_of(until: float | None, as_of: float | None) -> float | None:
    """until narrowed so that memories after as_of are left out (`at` ≤ as_of)."""
    if as_of is None:
        return until
    after = math.nextafter(as_of, math.inf)  # until is exclusive, as_of inclusive
    return after if until is None else min(until, after)


def without(ranked: Ranked, total: int | None, hidden: set[str], bounds: Bounds,
            count: Callable[[Bounds], int]) -> tuple[Ranked, int | None]:
    """ranked without the hidden ids, and total less the hidden ones within bounds."""
    kept = [(memory_id, score) for memory_id, score in ranked if memory_id not in hidden]
    only = hidden if bounds.only is None else hidden.intersection(bounds.only)
    if total is None or not only:
        return kept, total
    return kept, total - count(Bounds(bounds.since, bounds.until, only))
