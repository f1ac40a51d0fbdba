"""`memory.repair`: a persona's damaged table rebuilt from its latest backup and its journals.

A table is damaged when a data file changed on disk after it was written, or LanceDB cannot
read it (store.py); the persona's memory then answers `Damaged`.  Repair moves the damaged
table aside into the home's quarantine (never deleting it), makes a new empty one and fills
it, each memory once (by id), from:

1. the persona's latest backup (`<home>/backups/*.zip` whose manifest names the persona, the
   newest; or the archive given): every memory it holds;
2. its since-backup log (pending.py, edits.py): every write committed since that backup (adds,
   edits, deletions, merges, imports and restores), replayed in order;
3. its journal: the adds acknowledged but not committed when the table failed to open.

What none of them holds is lost with the damaged table: the writes made before the backup
that the backup does not hold (none, unless an older archive is chosen), and a write whose
log record a full disk refused (logged as an error when it happens).  A table that opens
soundly is left as it is.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa  # type: ignore[import-untyped]

from pajamas.errors import Damaged, HubError
from pajamas.memory.backup import MANIFEST, read_backup
from pajamas.memory.edits import apply, coalesce
from pajamas.memory.journal import FOLDER, SUFFIX, Journal, Record
from pajamas.memory.replay import missing, table_rows
from pajamas.memory.transfer import import_records

if TYPE_CHECKING:
    from pajamas.embedding.lazy import Progress
    from pajamas.faults import Faults
    from pajamas.memory.store import MemoryStore
    from pajamas.memory.table import MemoryTable
    from pajamas.memory.writer import Writer


def repair(store: MemoryStore, persona: str, *, faults: Faults, backups: Path,
           backup: Path | None, now: float, progress: Progress) -> dict[str, Any]:
    """Rebuild persona's damaged table: {"persona", "damaged", "restored", "from": {"backup",
    "log", "journal"}, "deleted", "backup", "quarantined"}."""
    progress(0.0, "checking the table")
    store.release(persona)
    result: dict[str, Any] = {"persona": persona, "damaged": False, "restored": 0,
                              "from": {"backup": 0, "log": 0, "journal": 0}, "deleted": 0,
                              "backup": None, "quarantined": None}
    if faults.failing(persona) is None:
        try:
            store.writer(persona)
            return result  # sound: nothing to do
        except Damaged:
            pass
    folder = store.folder(persona)
    if folder.exists():
        result["quarantined"] = str(faults.quarantine(folder))
    faults.resolve(persona)  # the new table may open now
    try:
        _refill(store, persona, result, backups=backups, backup=backup, now=now,
                progress=progress)
    except HubError as exc:
        faults.report("memory", folder, f"the repair failed: {exc.message}", failing=persona,
                      persona=persona, action="failing: repair it again")
        raise
    finally:
        store.changed(persona)
    result["damaged"] = True
    result["restored"] = store.writer(persona).table.memory_count()  # what it holds now
    progress(1.0, f"restored {result['restored']} memories")
    return result


def _refill(store: MemoryStore, persona: str, result: dict[str, Any], *, backups: Path,
            backup: Path | None, now: float, progress: Progress) -> None:
    """Fill persona's new table from the backup, the since-backup log and the journal."""
    writer = store.writer(persona)  # a new, empty table
    chosen = backup or latest_backup(backups, persona)
    if chosen is not None:
        progress(0.1, f"restoring {chosen.name}")
        embeddings = store.embeddings
        found = read_backup(chosen, model=embeddings.model_id,
                            dimension=embeddings.dimension, reembed=False, now=now)
        counts = import_records(writer, embeddings, found.records, on_conflict="replace",
                                progress=lambda fraction, message: None, logged=False)
        result["backup"] = str(chosen)
        result["from"]["backup"] = counts["imported"] + counts["replaced"]
    progress(0.7, "replaying the writes since the backup")
    result["from"]["log"], result["deleted"] = _replay_log(store, persona, writer)
    journal = Journal(store.root / FOLDER / f"{persona}{SUFFIX}")
    torn = journal.cut_tail()
    if torn:
        store.torn_tail(persona, journal.path, torn)
    records = journal.replay()
    result["from"]["journal"] = _add_missing(store, persona, writer, records)
    store.log_since_backup(persona, records)
    journal.remove()
    store.attach_journal(persona)


def _replay_log(store: MemoryStore, persona: str, writer: Writer) -> tuple[int, int]:
    """Write what the since-backup log's memories end as (edits.py): (the memories added or
    changed, the memories deleted)."""
    schema = writer.table.arrow_schema
    found = coalesce(store.since_backup(persona).replay(),
                     lambda record: table_rows(store, persona, record, schema),
                     model=store.embeddings.model_id)
    counts: list[tuple[int, int]] = []

    def write(table: MemoryTable) -> None:
        with table.unlogged():  # the log holds these writes already
            counts.append(apply(table, found))

    writer.call(write)
    return counts[0]


def _add_missing(store: MemoryStore, persona: str, writer: Writer,
                 records: list[Record]) -> int:
    """Add the records' memories the table lacks, each once: how many."""
    tables = [table_rows(store, persona, record, writer.table.arrow_schema)
              for record in records]
    rows = missing(writer.table, tables)
    if not rows.num_rows:
        return 0
    rows = _first_of_each(rows)
    writer.add(rows)
    return int(rows.num_rows)


def _first_of_each(rows: pa.Table) -> pa.Table:
    """rows without a later repeat of an id (a record logged twice)."""
    seen: set[str] = set()
    keep = []
    for n, memory_id in enumerate(rows["id"].to_pylist()):
        if memory_id not in seen:
            seen.add(memory_id)
            keep.append(n)
    return rows.take(keep) if len(keep) < rows.num_rows else rows


def latest_backup(folder: Path, persona: str) -> Path | None:
    """The newest archive in folder whose manifest names persona, or None."""
    found: list[tuple[float, Path]] = []
    for path in folder.glob("*.zip") if folder.is_dir() else ():
        try:
            with zipfile.ZipFile(path) as archive:
                manifest = json.loads(archive.read(MANIFEST))
        except (OSError, zipfile.BadZipFile, KeyError, ValueError):
            continue  # not a backup, or a damaged one: not a source
        if isinstance(manifest, dict) and manifest.get("persona") == persona:
            found.append((float(manifest.get("created_at") or 0.0), path))
    return max(found)[1] if found else None
