"""`MemoryTable`: one persona's LanceDB table: created with the schema, read and searched.

Writes go through the persona's `Writer` only; reads (get, list, search, count) run on the
caller's thread.  Every LanceDB call is inside `lancedb_errors`.  The table's vectors are also
held in memory (`VectorIndex`, compact), loaded on open and updated after every committed write,
so vector search, counts and the ranking's importance and age never read the table (only a
search's best candidates are read back, to be scored exactly).  The writer may release that
copy (`release_vectors`, for the resident budget) and load it again (`reload_vectors`).

Every committed update, deletion, merge and import is also told to `on_edit`, which keeps it
in the persona's since-backup log for `memory.repair` (the adds reach that log from their
journal: pending.py).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, final

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]

from pajamas import heap
from pajamas.borders import lancedb_errors
from pajamas.errors import HubError
from pajamas.memory.enrich import fts_column, searchable
from pajamas.memory.order import NewestFirst
from pajamas.memory.placement import Placement, RowIdArray
from pajamas.memory.rowcache import RowCache
from pajamas.memory.rowids import RowIds
from pajamas.memory.schema import check_model, missing, schema
from pajamas.memory.superseded import Superseded
from pajamas.memory.vectors import Bounds, Ranked, VectorIndex

if TYPE_CHECKING:
    import lancedb

log = logging.getLogger(__name__)
FTS_COLUMN: Final = "text"
LANCE_SUFFIX: Final = ".lance"  # a table's folder: <memory folder>/<persona>.lance
INDEXED: Final = ["id", "vector", "at", "importance"]  # what VectorIndex holds
LOAD_BATCH: Final = 8_192  # rows read at a time into VectorIndex when the table opens
# (values set by id, ids deleted, whole rows put): a committed write other than an add
EditLog = Callable[[dict[str, dict[str, Any]], list[str], "pa.Table | None"], None]


@final
class MemoryTable:
    """A persona's memory table."""

    def __init__(self, table: Any, persona: str, dimension: int, folder: str = "") -> None:
        self._table, self.persona = table, persona
        self.folder = folder  # the memory folder: where a write that finds no space was going
        self._schema: pa.Schema = table.schema  # asking LanceDB costs ~2 ms; our writes keep it
        self.has_fts = any(i.index_type == "FTS" for i in table.list_indices())
        self.dimension = dimension
        self.vectors = VectorIndex(dimension, exact=self.exact_vectors)
        self.cache = RowCache([f.name for f in self._schema if f.name != "vector"])
        self.rowids = RowIds()  # where rows are, to read a search's page by position
        self.order = NewestFirst(self.scan)  # memory.list's order, kept until the next write
        self._placement: Placement | None = None  # the released vectors' layout
        self._load_vectors(self.vectors)
        self.superseded = Superseded.load(self.scan)  # kept in step by add/update/delete
        # The backlog `Upkeep` watches: counted here after each write, measured after optimize.
        self.small_fragments, self.unindexed = self._backlog()
        self.on_edit: EditLog | None = None  # set by the store: the since-backup log
        self._unlogged = False
        heap.after_work("opening a table")  # what reading the vectors in freed goes back

    @classmethod
    def open(cls, db: lancedb.DBConnection, persona: str, model_id: str,
             dimension: int) -> MemoryTable:
        """The persona's table, created empty when it does not exist yet (or when a full disk
        stopped its creation before its first version: `unborn`)."""
        folder = str(db.uri)
        with lancedb_errors("opening its table", persona, folder):
            if unborn(Path(folder), persona):
                log.warning("removed the memory table of persona %s: its creation stopped "
                            "before its first version (a full disk?), so it held nothing; it "
                            "is made again", persona)
                shutil.rmtree(Path(folder) / f"{persona}{LANCE_SUFFIX}")
            if table_exists(db, persona):
                table = db.open_table(persona)
                check_model(table.schema.metadata, model_id, dimension, persona)
                added = missing(table.schema.names)
                if added:  # made before thread and at existed: none, and when it was made
                    table.add_columns(added)
            else:
                table = db.create_table(persona, schema=searchable(schema(model_id, dimension)))
        return cls(table, persona, dimension, folder)

    @property
    def arrow_schema(self) -> pa.Schema:
        """The table's schema."""
        return self._schema

    def add(self, rows: pa.Table) -> None:
        """Append rows (the writer's thread only); the first add builds the full-text index."""
        with lancedb_errors("adding memories", self.persona, self.folder):
            self._table.add(rows)
            self.small_fragments, self.unindexed = (self.small_fragments + 1,
                                                    self.unindexed + rows.num_rows)
            self._index(rows)
            recent = rows.slice(max(0, rows.num_rows - self.cache.max_rows))
            self.cache.put(recent.select(sorted(self.cache.columns)).to_pylist())
            self.superseded.note_rows(rows)
            self.order.changed()
        if not self.has_fts:
            self._build_fts()

    def _build_fts(self) -> None:
        """Build the full-text index (after the first add).  The rows are committed by then:
        a failure (a full disk) is logged, not raised, lest the add be retried and the rows
        written twice; the next add tries again, and text search finds nothing meanwhile."""
        from lancedb.index import FTS  # noqa: PLC0415

        try:
            with lancedb_errors("indexing its text", self.persona, self.folder):
                # The column is create_index's first argument (`metric` for vector indices).
                self._table.create_index(fts_column(self._schema), config=FTS(), replace=True)
        except HubError as exc:
            log.warning("could not build the full-text index of persona %s yet: %s",
                        self.persona, exc.message)
            return
        self.has_fts, self.unindexed = True, 0

    def put(self, rows: pa.Table) -> None:
        """Add whole rows that were not journaled (an import, a restore): `add`, then told to
        `on_edit` (the writer's thread only)."""
        self.add(rows)
        self._edited({}, [], rows)

    def update(self, memory_id: str, values: dict[str, Any]) -> None:
        """Set values on one memory (the writer's thread only)."""
        with lancedb_errors("updating a memory", self.persona, self.folder):
            self._table.update(where=f"id = {quote(memory_id)}", values=values)
        self.small_fragments, self.unindexed = self.small_fragments + 1, self.unindexed + 1
        self._updated(memory_id, values)
        self._edited({memory_id: values}, [], None)

    def delete(self, memory_ids: list[str]) -> None:
        """Delete the memories with these ids (the writer's thread only)."""
        with lancedb_errors("deleting memories", self.persona, self.folder):
            self._table.delete(f"id IN ({', '.join(map(quote, memory_ids))})")
        self.small_fragments += 1  # a deletion file: compaction drops the rows for good
        self._deleted(memory_ids)
        self._edited({}, memory_ids, None)

    @contextmanager
    def unlogged(self) -> Iterator[None]:
        """Writes meanwhile are not told to `on_edit` (a repair refilling the table from what
        its log already holds); the writer's thread only."""
        self._unlogged = True
        try:
            yield
        finally:
            self._unlogged = False

    def _edited(self, updates: dict[str, dict[str, Any]], deleted: list[str],
                rows: pa.Table | None) -> None:
        """Tell on_edit of a committed write; a failure costs only a repair, not the write."""
        if self.on_edit is None or self._unlogged:
            return
        try:
            self.on_edit(updates, deleted, rows)
        except Exception:  # the table has the write: only a later repair would miss it
            log.exception("could not log a change to the memory of persona %s for its repair",
                          self.persona)

    def merge(self, updates: dict[str, dict[str, Any]], gone: list[str]) -> None:
        """Set values on some memories and delete others in one commit (the writer's thread
        only): a process killed meanwhile leaves all of it or none, so a merge of duplicates
        never keeps a memory both in its own row and in the row it was merged into."""
        current = self._read(list(updates), self._schema.names)
        found = {i: values for i, values in updates.items() if i in current}
        source = pa.Table.from_pylist([current[i] | values for i, values in found.items()],
                                      schema=self._schema)
        with lancedb_errors("merging memories", self.persona, self.folder):
            builder = self._table.merge_insert("id").when_matched_update_all()
            if gone:
                builder = builder.when_not_matched_by_source_delete(
                    f"id IN ({', '.join(map(quote, gone))})")
            builder.execute(source)
        self.small_fragments, self.unindexed = self.small_fragments + 1, self.unindexed + len(found)
        for memory_id, values in found.items():
            self._updated(memory_id, values)
        self._deleted(gone)
        self._edited(found, gone, None)

    def _updated(self, memory_id: str, values: dict[str, Any]) -> None:
        """Bring the in-memory copies in step with values committed on one memory."""
        self.cache.drop([memory_id])
        self.rowids.drop([memory_id])  # an update appends the row anew
        self.order.changed()  # created_at may be what changed (an import's merge)
        if "metadata" in values:
            self.superseded.note([memory_id], [values["metadata"]])
        vector = values.get("vector")
        self.vectors.update(memory_id, importance=values.get("importance"),
                            vector=None if vector is None else _floats(vector))

    def _deleted(self, memory_ids: list[str]) -> None:
        """Drop deleted memories from the in-memory copies."""
        self.cache.drop(memory_ids)
        self.rowids.drop(memory_ids)
        self.vectors.remove(set(memory_ids))
        self.superseded.forget(memory_ids)
        self.order.changed()

    def rows(self, ids: list[str], columns: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """The rows with these ids, by id (recent ones from the row cache)."""
        wanted = columns or [f.name for f in self.arrow_schema]
        if not self.cache.columns.issuperset(wanted):
            return self._read(ids, wanted)
        cached = self.cache.get(ids)
        missing = [i for i in ids if i not in cached]
        generation = self.cache.generation
        read = self._read(missing, sorted(self.cache.columns))
        self.cache.put(read.values(), generation=generation)
        return {i: {c: row[c] for c in wanted} for i, row in (cached | read).items()}

    def _read(self, ids: list[str], columns: list[str]) -> dict[str, dict[str, Any]]:
        """The rows with these ids, read from the table: by position where it is known
        (`RowIds`), by id for the rest and for any position that no longer holds its row."""
        known, unknown = self.rowids.split(ids)
        found = self._take(known, columns) if known else {}
        unknown += [i for i in known if i not in found]
        return found | self._read_by_id(unknown, columns)

    def _take(self, known: dict[str, int], columns: list[str]) -> dict[str, dict[str, Any]]:
        """The rows at these positions whose id is still the one expected there."""
        wanted = columns if "id" in columns else [*columns, "id"]
        with lancedb_errors("reading memories", self.persona, self.folder):
            found = self._table.take_row_ids(list(known.values())).select(wanted).to_arrow()
        rows = {row["id"]: row for row in found.to_pylist() if row["id"] in known}
        if wanted is not columns:
            for row in rows.values():
                del row["id"]
        return rows

    def _read_by_id(self, ids: list[str], columns: list[str]) -> dict[str, dict[str, Any]]:
        """The rows with these ids, found by a filter on the id column."""
        if not ids:
            return {}
        with lancedb_errors("reading memories", self.persona, self.folder):
            found = (self._table.search().where(f"id IN ({', '.join(map(quote, ids))})")
                     .select(columns).limit(len(ids)).to_arrow())
        return {row["id"]: row for row in found.to_pylist()}

    def scan(self, columns: list[str], where: str | None = None) -> pa.Table:
        """Some columns of every row matching where."""
        with lancedb_errors("scanning memories", self.persona, self.folder):
            query = self._table.search().select(columns)
            if where:
                query = query.where(where)
            return query.limit(None).to_arrow()

    def count(self, where: str | None = None) -> int:
        """How many memories match where (all when None)."""
        with lancedb_errors("counting memories", self.persona, self.folder):
            return int(self._table.count_rows(where))

    def vector_search(self, vector: npt.NDArray[np.float32], k: int, bounds: Bounds, *,
                      rescore: bool = True) -> Ranked:
        """The k nearest memories by cosine similarity, over the in-memory vectors (the best
        scored again exactly unless not rescore: `VectorIndex.search`)."""
        return self.vectors.search(vector, k, bounds, rescore=rescore)

    def text_search(self, text: str, k: int, where: str | None) -> Ranked:
        """The k best full-text (BM25) matches (only ids: the caller reads the rows it shows).

        The query returns positions, not ids: reading the id column of its rows took about as
        long as the search itself (10 ms with ids against 6 without, at 100,000 rows).
        `RowIds` names the rows it knows; the others (added or changed since the table was
        read in) are read by position.
        """
        if not self.has_fts:
            return []
        with lancedb_errors("searching by text", self.persona, self.folder):
            query = (self._table.search(text, query_type="fts",
                                        fts_columns=fts_column(self._schema))
                     .select(["_score"]).with_row_id(True).limit(k))
            if where:
                query = query.where(where, prefilter=True)
            found = query.to_arrow()
            rows = found["_rowid"].to_pylist()
            ids, unknown = self.rowids.ids_at(rows)
            if unknown:
                named = self._table.take_row_ids(unknown).select(["id"]).with_row_id().to_arrow()
                ids |= dict(zip(named["_rowid"].to_pylist(), named["id"].to_pylist(),
                                strict=True))
        return [(ids[row], score) for row, score in zip(rows, found["_score"].to_pylist(),
                                                        strict=True) if row in ids]

    def stats(self) -> dict[str, Any]:
        """LanceDB's figures: bytes, rows, fragments, indices."""
        with lancedb_errors("reading its statistics", self.persona, self.folder):
            stats = self._table.stats()
            indices = self._table.list_indices()
        return {"bytes": int(stats["total_bytes"]), "count": int(stats["num_rows"]),
                "fragments": int(stats["fragment_stats"]["num_fragments"]),
                "small_fragments": int(stats["fragment_stats"]["num_small_fragments"]),
                "indexed": {i.index_type.lower(): True for i in indices},
                "version": int(self._table.version), "vectors": self.vectors.layout()}

    def optimize(self, keep_s: float) -> None:
        """Compact small fragments, bring the indices up to date and remove the versions
        older than keep_s seconds (the writer's thread only: it rewrites fragments)."""
        with lancedb_errors("optimizing its table", self.persona, self.folder):
            self._table.optimize(cleanup_older_than=timedelta(seconds=keep_s))
        self.small_fragments, self.unindexed = self._backlog()
        if self.vectors.resident:  # released: the reload reads the positions
            self._locate()  # compaction rewrote the fragments: every row has a new position
        else:
            self._placement = None  # its row ids are gone: the reload lays out afresh

    def _backlog(self) -> tuple[int, int]:
        """(small fragments, rows outside the full-text index), asked of LanceDB."""
        with lancedb_errors("reading its statistics", self.persona, self.folder):
            small = int(self._table.stats()["fragment_stats"]["num_small_fragments"])
            fts = [i.name for i in self._table.list_indices() if i.index_type == "FTS"]
            found = self._table.index_stats(fts[0]) if fts else None
        return small, int(found.num_unindexed_rows) if found is not None else 0


    def exact_vectors(self, ids: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        """The stored (float32) vectors of these memories, by id (those still present)."""
        known, unknown = self.rowids.split(ids)
        found: dict[str, npt.NDArray[np.float32]] = {}
        with lancedb_errors("reading vectors", self.persona, self.folder):
            if known:
                taken = self._table.take_row_ids(list(known.values())).select(["id", "vector"])
                found = {i: v for i, v in _vectors(taken.to_arrow()).items() if i in known}
            unknown += [i for i in known if i not in found]
            if unknown:
                found |= _vectors(self._table.search().where(
                    f"id IN ({', '.join(map(quote, unknown))})").select(["id", "vector"])
                                  .limit(len(unknown)).to_arrow())
        return found

    def memory_count(self) -> int:
        """How many memories the table has: the in-memory index's size, or (released) the
        table's count (the writer's thread: no write runs meanwhile)."""
        return len(self.vectors) if self.vectors.resident else self.count()

    def release_vectors(self) -> int:
        """Drop the in-memory vectors and row positions (the writer's thread): bytes freed.

        Their layout is kept as a `Placement` (placement.py), for the reload to use."""
        self._placement = self._placement_now()
        freed = self.vectors.release()
        self.rowids.replace([], [])
        self.order.forget()
        heap.after_work("releasing a table's vectors")
        return freed

    def reload_vectors(self) -> None:
        """Read the vectors in again if they were released (the writer's thread): readers
        see the new index only once it holds every row."""
        if self.vectors.resident:
            return
        fresh = VectorIndex(self.dimension, exact=self.exact_vectors)
        self._load_vectors(fresh, self._placement)
        self._placement = None
        self.vectors = fresh
        heap.after_work("reloading a table's vectors")

    def _load_vectors(self, index: VectorIndex, placement: Placement | None = None) -> None:
        """Fill index in batches (one whole-table scan kept ~300 MB more RSS at 100,000 rows:
        LanceDB's and Arrow's allocators keep what they freed), each row where placement put
        it if given."""
        with lancedb_errors("loading its vectors", self.persona, self.folder):
            index.reserve(int(self._table.count_rows()), placement)
            query = self._table.search().select(INDEXED).with_row_id(True).limit(None)
            for batch in query.to_batches(LOAD_BATCH):
                rows = pa.Table.from_batches([batch])
                rowids = rows["_rowid"].to_numpy().astype(np.int64)
                self.rowids.put(self._index(rows, index, rowids), rowids.tolist())
        index.loaded()

    def _placement_now(self) -> Placement | None:
        """Where the in-memory index's rows are, by row id, if it is laid out in lists and
        every row's position is known."""
        laid_out = self.vectors.laid_out()
        if laid_out is None:
            return None
        ids, lists = laid_out
        rows = self.rowids.rows_of(ids)
        if None in rows:
            return None
        return Placement.of(np.array(rows, np.int64), lists)

    def _locate(self) -> None:
        """Read every row's position afresh (after a compaction)."""
        with lancedb_errors("reading its row positions", self.persona, self.folder):
            found = (self._table.search().select(["id"]).with_row_id(True).limit(None)
                     .to_arrow())
        self.rowids.replace(found["id"].to_pylist(), found["_rowid"].to_pylist())

    def _index(self, rows: pa.Table, index: VectorIndex | None = None,
               rowids: RowIdArray | None = None) -> list[str]:
        """Copy rows' ids, vectors, `at` and importance into the in-memory index (or index,
        with their row ids when loading it); the ids."""
        if not rows.num_rows:
            return []
        ids: list[str] = rows["id"].to_pylist()
        into = self.vectors if index is None else index  # not `or`: an empty index is falsy
        into.append(ids, _matrix(rows["vector"], self.dimension), rows["at"].to_numpy(),
                    rows["importance"].to_numpy(), rowids)
        return ids


def _matrix(column: pa.ChunkedArray, dimension: int) -> npt.NDArray[np.float32]:
    """A vector column as a (rows, dimension) float32 array."""
    flat = column.combine_chunks().flatten().to_numpy(zero_copy_only=False)
    return np.asarray(flat, np.float32).reshape(-1, dimension)


def _vectors(found: pa.Table) -> dict[str, npt.NDArray[np.float32]]:
    """{id: vector} of a table of ids and vectors."""
    if not found.num_rows:
        return {}
    matrix = _matrix(found["vector"], len(found["vector"][0]))
    return dict(zip(found["id"].to_pylist(), matrix, strict=True))


def _floats(vector: Any) -> npt.NDArray[np.float32]:
    """vector (a list from the caller) as a float32 array."""
    return np.asarray(vector, dtype=np.float32)


def table_exists(db: lancedb.DBConnection, name: str) -> bool:
    """Whether db has a table called name (list_tables pages through the names)."""
    token = None
    while True:
        page = db.list_tables(page_token=token, limit=1000)
        if name in page.tables:
            return True
        token = page.page_token
        if not token:
            return False


def unborn(root: Path, name: str) -> bool:
    """Whether table name's folder exists without a single version: its creation stopped
    before the first manifest was written (ENOSPC, a kill), so it holds no data, yet LanceDB
    lists it and will not open it ("Table ... was not found")."""
    folder = root / f"{name}{LANCE_SUFFIX}"
    if not folder.is_dir():
        return False
    versions = folder / "_versions"
    return not (versions.is_dir() and any(versions.glob("*.manifest")))


def quote(value: str) -> str:
    """value as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"
