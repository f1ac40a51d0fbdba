"""A backup and the since-backup log give back the table: every kind of write replayed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pajamas.embedding.service import EmbeddingService
from pajamas.memory.backup import backup, read_backup
from pajamas.memory.edits import Coalesced, apply, coalesce
from pajamas.memory.model import encode_metadata
from pajamas.memory.replay import table_rows
from pajamas.memory.store import MemoryStore
from pajamas.memory.table import MemoryTable
from pajamas.memory.transfer import Record, import_records
from tests.memory.stores import PERSONAS, Clock, new, opened, progress

A = PERSONAS[0]
COLUMNS = ["id", "text", "metadata", "importance", "updated_at", "vector"]


def contents(store: MemoryStore) -> dict[str, dict[str, Any]]:
    rows = store.writer(A).table.scan(COLUMNS).to_pylist()
    return {row["id"]: row | {"vector": np.round(row["vector"], 5).tolist()} for row in rows}


def imported(memory_id: str, text: str, embeddings: EmbeddingService) -> Record:
    return Record(id=memory_id, text=text, metadata={"from": "a file"}, importance=0.3,
                  times=(5.0, 6.0, 7.0), model=embeddings.model_id,
                  vector=embeddings.embed([text])[0])


def test_a_backup_and_the_writes_logged_since_give_back_the_table(
        tmp_path: Path, embeddings: EmbeddingService) -> None:
    clock = Clock()
    with opened(tmp_path / "memory", embeddings, clock) as store:
        ids = store.add(A, [new(f"the keeper's note number {n}") for n in range(6)])
        writer = store.writer(A)
        archive = tmp_path / "a.zip"
        backup(writer.table, {"id": A, "name": "A"}, archive, model=embeddings.model_id,
               dimension=embeddings.dimension, now=clock(), progress=progress)
        # Since the backup: every kind of write, on backed-up memories and on later ones.
        store.update(A, ids[0], text="the keeper rewrote his first note", importance=0.9)
        store.delete(A, ids[1])
        later = store.add(A, [new("a note written after the backup")])[0]
        store.update(A, later, metadata={"mood": "calm"})
        import_records(writer, embeddings, [imported(ids[2], "a note replaced by an import",
                                                     embeddings),
                                            imported("f" * 32, "a note imported", embeddings)],
                       on_conflict="replace", progress=progress)
        writer.call(lambda table: table.merge(  # a consolidation: 4 merged into 3
            {ids[3]: {"metadata": encode_metadata({"merged": [ids[4]]}), "updated_at": 99.0}},
            [ids[4]]))
        wanted = contents(store)
        log = store.since_backup(A).replay()

    with opened(tmp_path / "rebuilt", embeddings, clock) as rebuilt:
        writer = rebuilt.writer(A)
        found = read_backup(archive, model=embeddings.model_id, dimension=embeddings.dimension,
                            reembed=False, now=clock())
        import_records(writer, embeddings, found.records, on_conflict="replace",
                       progress=progress, logged=False)
        folded = coalesce(log, lambda record: table_rows(rebuilt, A, record,
                                                         writer.table.arrow_schema),
                          model=embeddings.model_id)
        counts: list[tuple[int, int]] = []

        def replay(table: MemoryTable) -> None:
            with table.unlogged():
                counts.append(apply(table, folded))

        writer.call(replay)
        assert contents(rebuilt) == wanted
        # Written: the later add and the import's new row; changed: the edited, the
        # replaced and the merged-into memories; deleted: the one deleted, the one merged.
        assert counts == [(5, 2)]
        assert rebuilt.since_backup(A).replay() == []  # the refill logged nothing


def test_the_last_write_to_a_memory_wins_whatever_its_kind() -> None:
    found = Coalesced()
    found.add({"id": "a", "text": "added"})
    found.set("a", {"text": "edited"})
    found.delete("a")
    found.replace({"id": "a", "text": "imported"})
    found.set("a", {"importance": 0.7})
    found.set("b", {"text": "an edit of a backed-up memory"})
    found.delete("c")
    assert found.put == {"a": {"id": "a", "text": "imported", "importance": 0.7}}
    assert found.added == {} and found.deleted == {"c"}
    assert found.updates == {"b": {"text": "an edit of a backed-up memory"}}
