"""Re-embedding a persona's memory with the loaded model, swapped in at once.

A table records the model and dimension its vectors come from (schema.py).  After a change of
model it no longer opens: every memory call on that persona answers `conflict` naming
memory.reembed, and no vectors of two models are ever mixed.  The re-embed task reads the old
table's rows (not its vectors), embeds their texts in batches into a staging table
`<persona>-reembed`, then overwrites the persona's table with the staging rows in one LanceDB
commit (a new version of the same table: until that commit the old version is what opens, and
a crash before it leaves the old table as it was), builds the full-text index, and drops the
staging table.  The swap holds the store's open lock, so no call opens the table half-way; the
next call opens the new table and loads its vectors into memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa  # type: ignore[import-untyped]

from pajamas.borders import lancedb_errors
from pajamas.errors import Conflict
from pajamas.memory.dates import dated
from pajamas.memory.enrich import SEARCH_TEXT, fts_column, searchable, with_search_text
from pajamas.memory.schema import COLUMNS, ModelChanged, check_model, schema, with_added
from pajamas.memory.table import table_exists

if TYPE_CHECKING:
    from pajamas.memory.store import MemoryStore

Progress = Callable[[float, str], None]
BATCH: Final = 512
STAGING: Final = "-reembed"
_running: set[str] = set()
_running_lock = threading.Lock()


def reembed(store: MemoryStore, persona: str, progress: Progress) -> dict[str, Any]:
    """Re-embed persona's memory if its model differs: {"reembedded", "model", "dimension"}."""
    with _running_lock:
        if persona in _running:
            raise Conflict(f"the memory of persona {persona} is being re-embedded already",
                           persona=persona)
        _running.add(persona)
    try:
        count = _reembed(store, persona, progress)
    finally:
        with _running_lock:
            _running.discard(persona)
    return {"reembedded": count, "model": store.embeddings.model_id,
            "dimension": store.embeddings.dimension}


def needed(store: MemoryStore, persona: str) -> bool:
    """Whether persona's table exists and was embedded with another model."""
    db = store._db  # the store's connection: the swap is its business
    with lancedb_errors("reading its schema", persona, store.root):
        if not table_exists(db, persona):
            return False
        recorded = db.open_table(persona).schema.metadata
    try:
        check_model(recorded, store.embeddings.model_id, store.embeddings.dimension, persona)
    except ModelChanged:
        return True
    return False


def _reembed(store: MemoryStore, persona: str, progress: Progress) -> int:
    if not needed(store, persona):
        return 0
    db, embeddings = store._db, store.embeddings
    with lancedb_errors("reading its memories", persona, store.root):
        source = db.open_table(persona)
        kept = [SEARCH_TEXT] if SEARCH_TEXT in source.schema.names else []
        present = [name for name in COLUMNS if name in source.schema.names]
        rows = with_added(source.search().select(present + kept).limit(None).to_arrow())
        target = searchable(schema(embeddings.model_id, embeddings.dimension))
        staging = db.create_table(persona + STAGING, schema=target, mode="overwrite")
    for start in range(0, rows.num_rows, BATCH):
        batch = rows.slice(start, BATCH)
        with lancedb_errors("staging re-embedded memories", persona, store.root):
            staging.add(_embedded(batch, store, target))
        progress(0.9 * min(1.0, (start + BATCH) / rows.num_rows),
                 f"re-embedded {start + batch.num_rows} of {rows.num_rows}")
    progress(0.9, "swapping the table")
    _swap(store, persona, staging.to_arrow(), target)
    with lancedb_errors("dropping the staging table", persona, store.root):
        db.drop_table(persona + STAGING)
    store.changed(persona)
    return int(rows.num_rows)


def _embedded(batch: pa.Table, store: MemoryStore, target: pa.Schema) -> pa.Table:
    """batch (the table's columns but the vector) with new vectors and the new model id."""
    embeddings = store.embeddings
    vectors = embeddings.embed([dated(text, at) for text, at in zip(
        batch["text"].to_pylist(), batch["at"].to_pylist(), strict=True)])
    columns = with_search_text({name: batch[name] for name in batch.column_names}, target) | {
        "model": pa.array([embeddings.model_id] * batch.num_rows),
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()),
                                                    embeddings.dimension)}
    return pa.table(columns, schema=target)


def _swap(store: MemoryStore, persona: str, rows: pa.Table, target: pa.Schema) -> None:
    """Overwrite persona's table with rows in one commit, under the store's open lock."""
    from lancedb.index import FTS  # noqa: PLC0415

    with store._lock, lancedb_errors("swapping in the re-embedded table", persona, store.root):
        table = store._db.create_table(persona, data=rows, schema=target,
                                       mode="overwrite")
        if rows.num_rows:
            table.create_index(fts_column(target), config=FTS(), replace=True)
