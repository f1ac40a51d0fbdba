"""The since-backup log's writes other than adds: logged as they commit, replayed by a repair.

A persona's since-backup log (journal.py, pending.py) holds every write committed since its
last backup, in commit order: adds (from the journal) and, made here from the table's
`on_edit`, updates (values by id), deletions (ids) and imports (whole rows).  A repair
(repair.py) fills a new table from the latest backup, then replays the log over it:
`coalesce` folds the records, oldest first, into what each memory ends as (a whole row, values
to set on the backup's row, or deleted), and `apply` writes that in two commits.  So an edit,
a deletion, a merge, an import or a restore made since the backup survives a repair.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from pajamas.errors import Conflict
from pajamas.memory.journal import Record

if TYPE_CHECKING:
    from pajamas.memory.table import MemoryTable

Rows = Callable[[Record], pa.Table]  # an add's record as whole rows of the table


def edit_record(updates: dict[str, dict[str, Any]], deleted: list[str], rows: pa.Table | None,
                *, now: float, model: str, dimension: int) -> Record:
    """The log's record of a committed write other than an add."""
    upserts = b""
    if rows is not None and rows.num_rows:
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, rows.schema) as stream:
            stream.write_table(rows)
        upserts = sink.getvalue().to_pybytes()
    return Record.edit(created_at=now, model=model, dimension=dimension, deleted=deleted,
                       updates={i: _plain(values) for i, values in updates.items()},
                       upserts=upserts)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """values as msgpack takes them (a vector as a list of floats)."""
    return {k: v.tolist() if isinstance(v, np.ndarray | np.generic) else v
            for k, v in values.items()}


@dataclass
class Coalesced:
    """What the log's memories end as: rows added (kept where the table has them already: a
    row never changes but through a later update), rows put in place of any with the same id
    (imports), values to set, ids deleted."""

    added: dict[str, dict[str, Any]] = field(default_factory=dict)
    put: dict[str, dict[str, Any]] = field(default_factory=dict)
    updates: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)

    def add(self, row: dict[str, Any]) -> None:
        """An add's row."""
        self.added[row["id"]] = row
        self.deleted.discard(row["id"])

    def replace(self, row: dict[str, Any]) -> None:
        """A whole row imported: it replaces whatever came before."""
        memory_id = row["id"]
        self.put[memory_id] = row
        self.added.pop(memory_id, None)
        self.updates.pop(memory_id, None)
        self.deleted.discard(memory_id)

    def set(self, memory_id: str, values: dict[str, Any]) -> None:
        """Values set on a memory (on the row the table ends with)."""
        if memory_id in self.put:
            self.put[memory_id] |= values
        elif memory_id not in self.deleted:
            self.updates[memory_id] = self.updates.get(memory_id, {}) | values

    def delete(self, memory_id: str) -> None:
        """A memory deleted: whatever came before goes."""
        for held in (self.added, self.put, self.updates):
            held.pop(memory_id, None)
        self.deleted.add(memory_id)

    def ids(self) -> list[str]:
        """Every memory the log touches."""
        return [*self.added, *self.put, *self.updates, *self.deleted]


def coalesce(records: list[Record], rows_of: Rows, *, model: str) -> Coalesced:
    """Fold records, oldest first, into what each memory ends as; `Conflict` if one was
    embedded by another model (its vectors would not match this one's)."""
    found = Coalesced()
    for record in records:
        if record.model != model:
            raise Conflict(f"the since-backup log holds writes embedded with {record.model}, "
                           f"not {model}; set the embedding model back to repair with them",
                           model=record.model, expected=model)
        if record.rows:
            for row in rows_of(record).to_pylist():
                found.add(row)
        if record.upserts:
            for row in pa.ipc.open_stream(record.upserts).read_all().to_pylist():
                found.replace(row)
        for memory_id, values in record.updates.items():
            found.set(memory_id, values)
        for memory_id in record.deleted:
            found.delete(memory_id)
    return found


def apply(table: MemoryTable, found: Coalesced) -> tuple[int, int]:
    """Write what the log's memories end as into table (the writer's thread only): one
    commit for the rows it lacks, one for the changes and deletions of rows it has; (the
    memories added or changed, the memories deleted)."""
    wanted = found.ids()
    present = set(table.rows(wanted, ["id"])) if wanted else set()
    updates = dict(found.updates)
    new = [row | updates.pop(i, {}) for i, row in [*found.added.items(), *found.put.items()]
           if i not in present]
    if new:
        table.add(pa.Table.from_pylist(new, schema=table.arrow_schema))
    changes = {i: {k: v for k, v in row.items() if k != "id"}
               for i, row in found.put.items() if i in present}
    changes |= {i: values for i, values in updates.items() if i in present}
    gone = [i for i in found.deleted if i in present]
    if changes:
        table.merge(changes, gone)
    elif gone:
        table.delete(gone)
    return len(new) + len(changes), len(gone)
