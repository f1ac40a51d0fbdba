"""`MemoryStore`: every persona's memory under `<home>/memory`, behind the memory.* methods.

Each call names a persona, which must exist (`require`); its table and writer open on first
use.  Texts are embedded through the `EmbeddingService` (cache, batches, lazy model).

A table found damaged as it opens (a data file whose checksum changed, integrity.py, or one
LanceDB cannot read) marks its persona failing: its calls answer `Damaged` until
`memory.repair` (repair.py) rebuilds it, while every other persona keeps working.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, final

import pyarrow as pa  # type: ignore[import-untyped]

from pajamas.borders import lancedb_errors
from pajamas.errors import Damaged, HubError, Internal, InvalidParams, NotFound
from pajamas.memory import integrity
from pajamas.memory.dates import dated, day
from pajamas.memory.edits import edit_record
from pajamas.memory.enrich import (
    CONTEXT_TURNS,
    SEARCH_TEXT,
    context_of,
    search_text,
    with_search_text,
)
from pajamas.memory.fusion import Weights, fuse, reweigh
from pajamas.memory.journal import FOLDER, LOG_SUFFIX, SUFFIX, Journal, Journals, Record
from pajamas.memory.lancecache import LanceCaches
from pajamas.memory.model import (
    Memory,
    NewMemory,
    at_or,
    check_importance,
    check_metadata,
    check_text,
    encode_metadata,
    matches,
)
from pajamas.memory.pending import Pending
from pajamas.memory.replay import replay
from pajamas.memory.resident import Residency
from pajamas.memory.rowcache import RowBudget
from pajamas.memory.schema import COLUMNS, schema
from pajamas.memory.superseded import hidden_for, until_as_of, without
from pajamas.memory.table import MemoryTable, quote, table_exists
from pajamas.memory.threads import ThreadTails
from pajamas.memory.upkeep import Upkeep
from pajamas.memory.vectors import Bounds, Ranked
from pajamas.memory.writer import Rows, Writer

if TYPE_CHECKING:
    from pajamas.embedding.service import EmbeddingService
    from pajamas.faults import Faults

log = logging.getLogger(__name__)
Mode = Literal["hybrid", "vector", "text"]
MIN_POOL = 100  # candidates each ranking gives the fusion, at least (50 lost LoCoMo recall)
RESIDENT_MB = 512  # the setting memory_resident_mb's default (config.py says why)
LANCEDB_CACHE_MB = 64  # the setting memory_lancedb_cache_mb's default (config.py says why)
INDEX_SHARE = 0.875  # of that cache, for opened indices; the rest for file metadata
MB = 1024 * 1024


@final
class MemoryStore:
    """The memories of every persona."""

    def __init__(self, root: Path, embeddings: EmbeddingService, *,
                 require: Callable[[str], None], weights: Weights | None = None,
                 clock: Callable[[], float] = time.time,
                 on_change: Callable[[str], None] = lambda persona: None,
                 on_count: Callable[[str, int], None] = lambda persona, count: None,
                 upkeep: Upkeep | None = None, faults: Faults | None = None,
                 resident_mb: float = RESIDENT_MB,
                 lancedb_cache_mb: float = LANCEDB_CACHE_MB) -> None:
        import lancedb  # noqa: PLC0415  (heavy: loaded with the first memory call)

        root.mkdir(parents=True, exist_ok=True)
        self.root, self.embeddings, self.weights = root, embeddings, weights or Weights()
        self._require, self._clock, self._on_change = require, clock, on_change
        self._on_count = on_count  # after each commit: the count in the in-memory index
        self.upkeep = upkeep or Upkeep()
        self.faults = faults  # where damaged tables and journals are reported
        cache = int(lancedb_cache_mb * MB)
        self.session = lancedb.Session(index_cache_size_bytes=int(cache * INDEX_SHARE),
                                       metadata_cache_size_bytes=cache - int(cache * INDEX_SHARE))
        self._caches = LanceCaches(self.session, cache)
        with lancedb_errors("opening the memory folder", "(all)", root):
            self._db = lancedb.connect(str(root), session=self.session)
        self._writers: dict[str, Writer] = {}
        self._lock = threading.Lock()
        # Hybrid search runs LanceDB's full-text query here while the caller embeds the query
        # and ranks by vector: both release the GIL, so their times overlap.
        self._text_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pajamas-fts")
        self.threads = ThreadTails(self._last_turns)
        # Personas whose journal a replay kept for want of space: replayed again on next use.
        self.unreplayed: set[str] = set()
        self._replay_lock = threading.Lock()
        self.residency = Residency(resident_mb)  # the open personas' vectors, within budget
        self.row_budget = RowBudget()  # the rows the open personas' tables keep, together

    # -- writes -------------------------------------------------------------------------

    def add(self, persona: str, items: list[NewMemory]) -> list[str]:
        """Embed and append items; their ids, once they are on disk (in the persona's journal,
        fsynced: the writer commits them to the table next, see pending.py)."""
        self._replay_kept(persona)
        writer = self._writer(persona)
        items = self.threads.fill(persona, items)
        now, ids = self._clock(), [uuid.uuid4().hex for _ in items]
        vectors = self.embeddings.embed_stored([dated(i["text"], at_or(i, now)) for i in items])
        model_id, schema = self.embeddings.model_id, writer.table.arrow_schema

        def rows() -> pa.Table:
            return self.new_rows(ids, items, pa.array(vectors.ravel()), now=now,
                                 model_id=model_id, schema=schema)

        if writer.pending is None:
            writer.add(rows())
        else:
            writer.add_journaled(Rows(len(ids), rows),
                                 Record.new(items, ids, vectors, created_at=now, model=model_id))
        self._on_change(persona)
        return ids

    @staticmethod
    def new_rows(ids: list[str], items: list[NewMemory], floats: pa.Array, *, now: float,
                 model_id: str, schema: pa.Schema) -> pa.Table:
        """New memories as rows of a table with schema, made at now; floats: their vectors
        (from model_id) one after the other (the add journal replays through it too)."""
        n = len(items)
        return pa.table(with_search_text({
            "id": ids, "text": [i["text"] for i in items],
            "metadata": [encode_metadata(i["metadata"]) for i in items],
            "importance": [i["importance"] for i in items],
            "thread": [i.get("thread") or "" for i in items],
            "at": [at_or(i, now) for i in items],
            "created_at": [now] * n, "updated_at": [now] * n, "accessed_at": [now] * n,
            "model": [model_id] * n,
            "vector": pa.FixedSizeListArray.from_arrays(floats,
                                                        schema.field("vector").type.list_size),
        }, schema, [i.get("context") for i in items]), schema=schema)

    def update(self, persona: str, memory_id: str, *, text: str | None = None,
               metadata: dict[str, Any] | None = None,
               importance: float | None = None) -> Memory:
        """Change a memory's text (re-embedded), metadata or importance; the memory."""
        writer = self._writer(persona)
        old = self.get(persona, memory_id)  # not_found before any work
        values: dict[str, Any] = {"updated_at": self._clock()}
        if text is not None:
            values["text"] = check_text(text)
            values |= self._search_text(writer.table, old, text)
            values["vector"] = self.embeddings.embed_stored([dated(text, old["at"])])[0].tolist()
        if metadata is not None:
            values["metadata"] = encode_metadata(check_metadata(metadata))
        if importance is not None:
            values["importance"] = check_importance(importance)
        writer.call(lambda table: table.update(memory_id, values))
        self._on_change(persona)
        return self.get(persona, memory_id)

    def delete(self, persona: str, memory_id: str) -> None:
        """Delete one memory; `NotFound` if it is not there."""
        writer = self._writer(persona)
        self.get(persona, memory_id)
        writer.call(lambda table: table.delete([memory_id]))
        self._count(persona, writer)
        self._on_change(persona)

    def drop(self, persona: str) -> None:
        """Delete the persona's whole table (the persona is being deleted)."""
        with self._lock:
            writer = self._writers.pop(persona, None)
        self.residency.forget(persona)
        if writer is not None:
            writer.close()
            if writer.pending is not None:
                writer.pending.remove()
        with lancedb_errors("deleting its table", persona, self.root):
            if table_exists(self._db, persona):
                self._db.drop_table(persona)
        self.since_backup(persona).remove()
        self.threads.forget(persona)
        self._on_change(persona)

    # -- reads --------------------------------------------------------------------------

    def get(self, persona: str, memory_id: str) -> Memory:
        """One memory; `NotFound` if the persona has none with that id."""
        rows = self._table(persona).rows([memory_id], list(COLUMNS))
        if memory_id not in rows:
            raise NotFound(f"persona {persona} has no memory {memory_id!r}", persona=persona,
                           memory=memory_id)
        return _memory(persona, rows[memory_id])

    def page(self, persona: str, *, offset: int, limit: int) -> dict[str, Any]:
        """A page of memories, newest first: {"items", "total"}."""
        table = self._table(persona)
        order = table.order.ids()
        ids = order[offset:offset + limit].to_pylist()
        rows = table.rows(ids, list(COLUMNS))
        return {"items": [_memory(persona, rows[i]) for i in ids if i in rows],
                "total": len(order)}

    def search(self, persona: str, query: str, *, mode: Mode, offset: int, limit: int,
               since: float | None = None, until: float | None = None,
               wanted: dict[str, Any] | None = None, as_of: float | None = None,
               include_superseded: bool = False, thread: str | None = None) -> dict[str, Any]:
        """The best memories for query: {"items": [memory + "score"], "total"}.

        `total` counts every memory that passes the filters for the vector and hybrid modes
        (each has a vector rank); for text it counts the matches ranked (at most the pool).
        Only the page's rows are read from the table: ranks, counts, importance and age come
        from the in-memory index.  Superseded memories are left out (see superseded.py)
        unless include_superseded, or as_of (else until) is before they were superseded.
        """
        writer = self.writer(persona)
        until = until_as_of(until, as_of)
        with self.residency.using(persona, writer):  # its vectors in memory until the ranking
            table = writer.table
            hidden = hidden_for(table.superseded, as_of=as_of, until=until,
                                include=include_superseded)
            bounds = Bounds(since, until, self._matching_ids(table, since, until, wanted or {},
                                                             thread))
            if bounds.only is not None and not bounds.only:
                return {"items": [], "total": 0}  # no memory matches the filters
            pool = max(MIN_POOL, offset + limit) + len(hidden)
            ranked, total = self._rank(table, query, mode, bounds, pool=pool)
            if hidden:
                ranked, total = without(ranked, total, hidden, bounds, table.vectors.count)
            ranked = reweigh(ranked, table.vectors.facts([i for i, _ in ranked]), self.weights,
                             self._clock())
        page = ranked[offset:offset + limit]
        rows = table.rows([i for i, _ in page], list(COLUMNS))
        items = [_memory(persona, rows[i]) | {"score": score} for i, score in page if i in rows]
        return {"items": items, "total": total if total is not None else len(ranked)}

    def stats(self, persona: str) -> dict[str, Any]:
        """{"count", "bytes", "fragments", "indexed", "model", "dimension", "resident", ...}."""
        table = self._table(persona)
        return table.stats() | {"model": self.embeddings.model_id,
                                "dimension": self.embeddings.dimension,
                                "embedder_ready": self.embeddings.model.ready,
                                "resident": self.residency.figures(),
                                "lancedb_cache": self.cache_figures()}

    def cache_figures(self) -> dict[str, int]:
        """LanceDB's caches, shared by every table: {"bytes", "items", "limit"} (`LanceCaches`:
        bytes measured at most every 30 s)."""
        return self._caches.figures()

    def cached_rows(self) -> int:
        """The rows the open personas' tables keep in memory (`RowCache`), together."""
        return self.row_budget.rows()

    def maintain(self, persona: str) -> str:
        """Compact persona's table and update its indices in the background: the task's id."""
        return self.upkeep.maintain(persona, self._writer(persona))

    def close(self) -> None:
        """Finish every queued write and stop the writers and the embedder's thread."""
        with self._lock:
            writers, self._writers = list(self._writers.values()), {}
        for writer in writers:
            writer.close()
        self._text_pool.shutdown()
        self.embeddings.close()

    # -- helpers ------------------------------------------------------------------------

    def _rank(self, table: MemoryTable, query: str, mode: Mode, bounds: Bounds, *,
              pool: int) -> tuple[Ranked, int | None]:
        """The ranking for mode, and the number of matches when it is known."""
        if mode == "text":
            return table.text_search(query, pool, _where(bounds)), None
        by_text = (self._text_pool.submit(table.text_search, query, pool, _where(bounds))
                   if mode == "hybrid" else None)
        vector = self.embeddings.embed([query])[0]
        # Fused by rank, the vector leg needs no exact scores (vectors.py says what it saves).
        by_vector = table.vector_search(vector, pool, bounds, rescore=by_text is None)
        total = table.vectors.count(bounds)
        if by_text is None:
            return by_vector, total
        w = self.weights
        return fuse([(by_vector, w.vector), (by_text.result(), w.text)], w.rrf_k), total

    def _matching_ids(self, table: MemoryTable, since: float | None, until: float | None,
                      wanted: dict[str, Any], thread: str | None) -> set[str] | None:
        """The ids of thread whose metadata has every wanted value (None: no such filter)."""
        if not wanted and thread is None:
            return None
        of_thread = None if thread is None else f"thread = {quote(thread)}"
        where = " AND ".join(filter(None, [_where(Bounds(since, until)), of_thread]))
        scanned = table.scan(["id", "metadata"], where or None)
        return {memory_id for memory_id, meta in zip(scanned["id"].to_pylist(),
                                                     scanned["metadata"].to_pylist(), strict=True)
                if not wanted or matches(json.loads(meta), wanted)}

    def _last_turns(self, persona: str, thread: str) -> list[str]:
        """The texts of thread's last memories, oldest first (the writer's table: no wait).

        Arrow's sort is stable: memories of one time keep the order they were written in.
        """
        table = self._writer(persona).table
        found = table.scan(["text", "at", "created_at"], f"thread = {quote(thread)}")
        order = found.sort_by([("at", "ascending"), ("created_at", "ascending")])
        texts: list[str] = order["text"].to_pylist()[-CONTEXT_TURNS:]
        return texts

    def _search_text(self, table: MemoryTable, old: Memory, text: str) -> dict[str, str]:
        """{search_text: old's context with its new text} (empty: no such column)."""
        if SEARCH_TEXT not in table.arrow_schema.names:
            return {}
        indexed = table.rows([old["id"]], ["id", SEARCH_TEXT])[old["id"]][SEARCH_TEXT]
        return {SEARCH_TEXT: search_text(text, context_of(indexed, old["text"]),
                                         day(old["at"]))}

    def _writer(self, persona: str) -> Writer:
        self._require(persona)
        with self._lock:
            writer = self._writers.get(persona)
            opened = writer is None
            if writer is None:
                table = self._open_table(persona)
                writer = self._writers[persona] = Writer(
                    table, on_write=lambda: self._wrote(persona), pending=self._pending(persona))
                table.on_edit = partial(self._log_edit, persona, writer)
                self.row_budget.join(table.cache)
        if opened:  # its vectors count now: others may be released (not under the lock)
            self.residency.opened(persona, writer)
        return writer

    def _open_table(self, persona: str) -> MemoryTable:
        """persona's table; `Damaged` (and persona failing) if it is damaged on disk."""
        fault = self.faults.failing(persona) if self.faults is not None else None
        if fault is not None:
            raise damaged(persona, fault["path"], fault["reason"])
        folder = self.folder(persona)
        existed = folder.is_dir()
        reason = integrity.verify(folder) if existed else None
        if reason is None:
            try:
                return MemoryTable.open(self._db, persona, self.embeddings.model_id,
                                        self.embeddings.dimension)
            except (Internal, NotFound) as exc:  # LanceDB could not read what is there
                if not existed:
                    raise
                reason = exc.message
        if self.faults is not None:
            self.faults.report("memory", folder, reason, failing=persona, persona=persona,
                               action="failing: the persona's memory answers nothing until "
                                      "it is repaired")
        raise damaged(persona, str(folder), reason)

    def folder(self, persona: str) -> Path:
        """Where persona's table lives."""
        return self.root / f"{persona}.lance"

    def since_backup(self, persona: str) -> Journal:
        """persona's since-backup log: its adds committed since its last backup."""
        return Journal(self.root / FOLDER / f"{persona}{LOG_SUFFIX}")

    def log_since_backup(self, persona: str, records: list[Record]) -> None:
        """Add replayed journal records to persona's since-backup log."""
        log_file = self.since_backup(persona)
        try:
            log_file.append_all(records)
        finally:
            log_file.close()

    def _log_edit(self, persona: str, writer: Writer, updates: dict[str, dict[str, Any]],
                  deleted: list[str], rows: pa.Table | None) -> None:
        """Keep a committed write other than an add in persona's since-backup log (the
        writer's thread: in order with the adds its journal logs; see edits.py)."""
        record = edit_record(updates, deleted, rows, now=self._clock(),
                             model=self.embeddings.model_id,
                             dimension=self.embeddings.dimension)
        if writer.pending is not None:
            writer.pending.log([record])
        else:  # its journal waits for a replay: the log is written directly
            self.log_since_backup(persona, [record])

    def trim_since_backup(self, persona: str, moment: float) -> None:
        """Drop the adds made before moment from persona's since-backup log (a backup has
        them), on its writer's thread, in order with the commits that append to it."""
        writer = self._writer(persona)

        def trim(table: MemoryTable) -> None:
            if writer.pending is not None:
                writer.pending.trim_log(moment)
            else:
                self.since_backup(persona).keep_since(moment)

        writer.call(trim)

    def torn_tail(self, persona: str, path: Path, tail: bytes) -> None:
        """A torn or damaged tail was cut off persona's journal: keep it aside and tell."""
        if self.faults is None:
            log.warning("cut a torn tail of %d bytes off %s", len(tail), path)
            return
        moved = self.faults.quarantine_bytes(f"{path.name}.tail", tail)
        self.faults.report("memory.journal", path, f"{len(tail)} bytes at its end are not a "
                           "whole record (torn by a crash, or damaged)", persona=persona,
                           action="cut off: every whole record before them is replayed",
                           quarantined=moved)

    def release(self, persona: str) -> None:
        """Close persona's writer (if open), so that its table may be replaced (repair)."""
        with self._lock:
            writer = self._writers.pop(persona, None)
        if writer is not None:
            writer.close()

    def attach_journal(self, persona: str) -> None:
        """Journal persona's adds from now on, if its journal is free (after its replay)."""
        with self._lock:
            writer = self._writers.get(persona)
        if writer is not None and writer.pending is None:
            writer.pending = self._pending(persona)

    def _pending(self, persona: str) -> Pending | None:
        """persona's add journal, unless it holds records a replay kept (then adds wait for
        their commit, and the kept records stay for a later start)."""
        journal = Journal(self.root / FOLDER / f"{persona}{SUFFIX}")
        if journal.is_empty():
            return Pending(journal, persona, log=self.since_backup(persona))
        log.warning("the memory journal of persona %s holds records not replayed yet: its adds "
                    "are committed before they are acknowledged until it is", persona)
        return None

    def changed(self, persona: str) -> None:
        """Tell the watchers (search cache, memory.changed) that persona's memory changed."""
        self._on_change(persona)

    def writer(self, persona: str) -> Writer:
        """The persona's writer, opened on first use and settled (maintenance tasks read and
        write through it)."""
        writer = self._writer(persona)
        writer.settle()
        return writer

    def _wrote(self, persona: str) -> None:
        """After a commit (on the writer's thread): start a compaction if one is due."""
        writer = self._writers.get(persona)
        if writer is None:
            return
        try:
            integrity.record(self.folder(persona))
        except OSError as exc:  # only a later damage would go unseen
            log.warning("could not record the checksums of %s's memory: %s", persona, exc)
        self._count(persona, writer)
        try:
            self.upkeep.wrote(persona, writer)
        except HubError as exc:  # e.g. Busy while the core stops: the next write tries again
            log.warning("could not start compacting the memory of %s: %s", persona, exc)

    def _count(self, persona: str, writer: Writer) -> None:
        """Tell on_count how many memories persona has: the in-memory index's size, no read."""
        try:
            self._on_count(persona, writer.table.memory_count())
        except HubError as exc:  # the persona is being deleted: nothing to count
            log.warning("could not record the memory count of %s: %s", persona, exc)

    def _table(self, persona: str) -> MemoryTable:
        """persona's table, with every acknowledged add in it (but those waiting for space)."""
        self._replay_kept(persona)
        return self.writer(persona).table

    def _replay_kept(self, persona: str) -> None:
        """Replay persona's journal if a replay kept it for want of space; while space still
        lacks, the caller goes on without its rows (they stay journaled)."""
        if persona not in self.unreplayed:
            return
        with self._replay_lock:  # two replays at once could both add the missing rows
            if persona in self.unreplayed:
                journals = Journals(self.root / FOLDER)
                try:
                    replay(self, persona, journals)
                finally:
                    journals.close()


def _where(bounds: Bounds) -> str | None:
    """bounds as an SQL filter (for LanceDB's full-text search)."""
    clauses = []
    if bounds.since is not None:
        clauses.append(f"at >= {float(bounds.since)!r}")
    if bounds.until is not None:
        clauses.append(f"at < {float(bounds.until)!r}")
    if bounds.only is not None:
        clauses.append(f"id IN ({', '.join(map(quote, sorted(bounds.only)))})")
    return " AND ".join(clauses) or None


def _memory(persona: str, row: dict[str, Any]) -> Memory:
    return Memory(id=row["id"], persona=persona, text=row["text"],
                  metadata=json.loads(row["metadata"]), importance=float(row["importance"]),
                  thread=row["thread"] or None, at=row["at"], created_at=row["created_at"],
                  updated_at=row["updated_at"], accessed_at=row["accessed_at"])


def damaged(persona: str, path: str, reason: str) -> Damaged:
    """The error of a call to persona's damaged memory."""
    return Damaged(f"the memory of persona {persona} is damaged ({reason}); it answers "
                   "nothing until it is repaired from its latest backup and journals; every "
                   "other persona is unaffected", persona=persona, path=path,
                   hint="memory.repair")


def check_page(offset: int, limit: int, *, most: int = 10_000) -> None:
    """offset ≥ 0 and 1 ≤ limit ≤ most."""
    if offset < 0:
        raise InvalidParams(f"offset must be 0 or more, not {offset}", field="offset")
    if not 1 <= limit <= most:
        raise InvalidParams(f"limit must be 1 to {most}, not {limit}", field="limit")


__all__ = ["MemoryStore", "check_page", "schema"]
