"""Replaying a persona's journal (journal.py) into its table, as the memory store opens.

Replay cuts a torn or damaged tail off first (kept in the quarantine and reported: see
journal.py), adds only the rows whose ids the table lacks, copies the records to the
persona's since-backup log, then removes the journal, so a crash between them duplicates
nothing.  A table that refuses the rows (made with another model, say) keeps its journal
untouched, for a later start; one that finds the disk full keeps it too, and the store replays
it again at its next use of the persona (store.py: `unreplayed`); a journal whose persona is
gone is removed (its memory goes with the persona).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from pajamas.errors import Conflict, DiskFull, HubError, NotFound
from pajamas.memory.model import NewMemory

if TYPE_CHECKING:
    from pajamas.memory.journal import Journals, Record
    from pajamas.memory.store import MemoryStore
    from pajamas.memory.table import MemoryTable

log = logging.getLogger(__name__)


def replay(store: MemoryStore, persona: str, journals: Journals) -> None:
    """Add the journaled rows persona's table lacks, then remove its journal; when the table
    refuses them, keep the journal and log why (and when the disk is full, let the store try
    again later)."""
    journal = journals.of(persona)
    torn = journal.cut_tail()
    if torn:
        store.torn_tail(persona, journal.path, torn)
    try:
        writer = store.writer(persona)  # NotFound: the persona is gone, ModelChanged, ...
        records = journal.replay()
        tables = [table_rows(store, persona, record, writer.table.arrow_schema)
                  for record in records]
        rows = missing(writer.table, tables)
        if rows.num_rows:
            writer.add(rows)
            store.changed(persona)
        store.log_since_backup(persona, records)
    except NotFound:  # deleted while an add was being journaled: its memory goes with it
        log.warning("removed the memory journal of persona %s, which no longer exists", persona)
    except DiskFull as exc:
        log.warning("kept the memory journal of persona %s, to replay once there is space: "
                    "%s", persona, exc.message)
        store.unreplayed.add(persona)
        return
    except (HubError, OSError, ValueError, TypeError) as exc:  # pyarrow raises the last two
        log.error("kept the memory journal of persona %s for a later start: its rows could "
                  "not be added: %s", persona, exc)
        return
    journals.remove(persona)
    store.unreplayed.discard(persona)
    store.attach_journal(persona)  # its writer was opened while the journal held the rows


def table_rows(store: MemoryStore, persona: str, record: Record,
                schema: pa.Schema) -> pa.Table:
    """record as rows of persona's table; `Conflict` if another model embedded them."""
    model = store.embeddings.model_id
    if record.model != model:
        raise Conflict(f"journaled memories were embedded with {record.model}, not {model}; "
                       "set the embedding model back to replay them", model=record.model,
                       expected=model)
    items = store.threads.fill(persona, [
        NewMemory(text=row["text"], metadata=json.loads(row["metadata"]),
                  importance=row["importance"], context=row["context"],
                  thread=row.get("thread"), at=row.get("at")) for row in record.rows])
    return store.new_rows([row["id"] for row in record.rows], items,
                          pa.array(record.vectors.ravel()), now=record.created_at,
                          model_id=record.model, schema=schema)


def missing(table: MemoryTable, tables: list[pa.Table]) -> pa.Table:
    """The rows of tables whose ids table does not hold yet (replay is idempotent)."""
    if not tables:
        return pa.table({})
    rows = pa.concat_tables(tables)
    present = table.rows(rows["id"].to_pylist(), ["id"])
    if not present:
        return rows
    return rows.filter(pc.invert(pc.is_in(rows["id"], value_set=pa.array(list(present)))))
