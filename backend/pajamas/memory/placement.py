"""`Placement`: where each row of a released vector index sat, so a reload puts it back there.

A table of 100,000 rows is laid out in lists (ann.py): k-means, then a copy of every array in
the lists' order.  A released index that is read in again in the table's order had to be laid
out again, in the background after its first search: about 1.4 s of a core, and the old and
the new arrays side by side meanwhile (the core's RSS after such a search was 521-535 MB, and
468-478 MB once the layout was done, three personas of 100,000 memories in turn).

So a release keeps the layout (the lists, a few hundred KB) and, for each row, its LanceDB row
id (`_rowid`) and position: 1.6 MB at 100,000 rows.  A row id names the same row until that
row changes or goes (fragments are never rewritten in place, and new rows go to new fragments),
so a reload writes each row it reads straight to its old position.  What changed while the
index was released does not break that: a row whose id is not in the placement (added, or
updated, which moves it) joins the exact tail, and a position that no row came back to (a
deleted or updated row) is dropped, the lists keeping the others in order.  A compaction gives
every row a new id: the table forgets its placement then, and the reload lays out afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import final

import numpy as np
import numpy.typing as npt

from pajamas.memory.ann import Lists

RowIdArray = npt.NDArray[np.int64]  # LanceDB's `_rowid` of each row
Rows = npt.NDArray[np.intp]
Mask = npt.NDArray[np.bool_]


@final
@dataclass(frozen=True)
class Placement:
    """Each row's row id and position in a released index, and that index's lists."""

    rowids: RowIdArray  # sorted
    rows: Rows  # rows[n]: the position of the row whose row id is rowids[n]
    size: int  # how many rows the index held
    lists: Lists

    @classmethod
    def of(cls, rowids: RowIdArray, lists: Lists) -> Placement:
        """The placement of an index whose row n has row id rowids[n]."""
        order = np.argsort(rowids, kind="stable").astype(np.intp)
        return cls(rowids[order], order, len(rowids), lists)

    def find(self, rowids: RowIdArray) -> tuple[Mask, Rows]:
        """(which of rowids the placement holds, the positions of those, in their order)."""
        at = np.searchsorted(self.rowids, rowids)
        inside = at < len(self.rowids)
        found = np.zeros(len(rowids), dtype=bool)
        found[inside] = self.rowids[at[inside]] == rowids[inside]
        return found, self.rows[at[found]]
