"""MemoryStore on real LanceDB tables in temp folders, with the real model."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pajamas.embedding.cache import BoundedEmbeddingCache, Embed
from pajamas.embedding.service import EmbeddingService
from pajamas.errors import NotFound
from pajamas.memory import writer as writer_module
from pajamas.memory.context import pack
from pajamas.memory.model import NewMemory
from pajamas.memory.rowcache import RowBudget, RowCache
from pajamas.memory.schema import ModelChanged
from pajamas.memory.store import MemoryStore
from pajamas.memory.table import MemoryTable
from tests.conftest import PATIENCE_S

if TYPE_CHECKING:
    from pajamas.embedding.embedder import Vectors

A, B = "persona-a", "persona-b"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        self.now += 1.0  # every call is a second later: created_at orders the adds
        return self.now


def require(persona: str) -> None:
    if persona not in (A, B):
        raise NotFound(f"no persona {persona}")


@pytest.fixture
def store(tmp_path: Path, embeddings: EmbeddingService) -> Iterator[MemoryStore]:
    opened = MemoryStore(tmp_path / "memory", embeddings, require=require, clock=Clock())
    yield opened
    for writer in opened._writers.values():  # the session's embedder stays open
        writer.close()


def new(text: str, importance: float = 0.5, **metadata: object) -> NewMemory:
    return NewMemory(text=text, metadata=dict(metadata), importance=importance)


def add(store: MemoryStore, persona: str, *texts: str) -> list[str]:
    return store.add(persona, [new(text, n=n) for n, text in enumerate(texts)])


def test_add_get_update_delete(store: MemoryStore) -> None:
    [memory_id] = store.add(A, [new("Caroline adopted a dog", 0.9, kind="pet")])
    memory = store.get(A, memory_id)
    assert memory["text"] == "Caroline adopted a dog" and memory["metadata"] == {"kind": "pet"}
    assert memory["importance"] == pytest.approx(0.9) and memory["persona"] == A
    changed = store.update(A, memory_id, text="Caroline adopted a cat", importance=0.1)
    assert changed["text"] == "Caroline adopted a cat" and changed["updated_at"] > memory[
        "updated_at"]
    assert store.search(A, "kitten", mode="vector", offset=0, limit=1)["items"][0]["id"] == (
        memory_id)  # the new text was embedded
    store.delete(A, memory_id)
    with pytest.raises(NotFound):
        store.get(A, memory_id)


def test_list_is_newest_first_and_paginated(store: MemoryStore) -> None:
    ids = add(store, A, "one", "two", "three")  # one batch: one created_at
    ids += add(store, A, "four")
    page = store.page(A, offset=0, limit=2)
    assert page["total"] == 4 and page["items"][0]["id"] == ids[3]
    assert {m["id"] for m in store.page(A, offset=0, limit=10)["items"]} == set(ids)


def test_search_modes_find_meaning_words_and_both(store: MemoryStore) -> None:
    add(store, A, "Melanie went camping with her kids in the mountains",
        "The quarterly zx-81 report is due on Friday",
        "Caroline signed up for a pottery class",
        "Melanie bought new running shoes")
    by_meaning = store.search(A, "outdoor trip with the family", mode="vector", offset=0, limit=1)
    assert "camping" in by_meaning["items"][0]["text"] and by_meaning["total"] == 4
    by_words = store.search(A, "zx-81 report", mode="text", offset=0, limit=1)
    assert "zx-81" in by_words["items"][0]["text"]
    both = store.search(A, "Melanie camping", mode="hybrid", offset=0, limit=4)
    assert "camping" in both["items"][0]["text"]
    scores = [m["score"] for m in both["items"]]
    assert scores == sorted(scores, reverse=True)
    second = store.search(A, "Melanie camping", mode="hybrid", offset=1, limit=1)
    assert second["items"][0]["id"] == both["items"][1]["id"]


def test_time_and_metadata_filters(store: MemoryStore) -> None:
    first = store.add(A, [new("a walk in the park", topic="walk")])[0]
    later = store.add(A, [new("a walk on the beach", topic="walk")])[0]
    store.add(A, [new("a swim in the sea", topic="swim")])
    created = store.get(A, later)["created_at"]
    since = store.search(A, "walk", mode="hybrid", offset=0, limit=10, since=created)
    assert first not in {m["id"] for m in since["items"]} and later in {
        m["id"] for m in since["items"]}
    until = store.search(A, "walk", mode="vector", offset=0, limit=10, until=created)
    assert [m["id"] for m in until["items"]] == [first]
    walks = store.search(A, "sea", mode="hybrid", offset=0, limit=10, wanted={"topic": "walk"})
    assert {m["metadata"]["topic"] for m in walks["items"]} == {"walk"} and walks["total"] == 2
    none = store.search(A, "sea", mode="text", offset=0, limit=10, wanted={"topic": "fly"})
    assert none == {"items": [], "total": 0}


def test_personas_never_see_each_others_memory(store: MemoryStore) -> None:
    [secret] = add(store, A, "the vault code is 4711")
    add(store, B, "B likes tea")
    assert store.search(B, "vault code 4711", mode="hybrid", offset=0, limit=10)["items"][0][
        "text"] == "B likes tea"
    with pytest.raises(NotFound):
        store.get(B, secret)
    with pytest.raises(NotFound):
        store.delete(B, secret)
    with pytest.raises(NotFound):
        store.search("persona-c", "vault", mode="text", offset=0, limit=1)
    store.drop(A)
    assert store.page(A, offset=0, limit=10)["total"] == 0


def test_concurrent_adds_are_batched_into_few_commits(store: MemoryStore) -> None:
    add(store, A, "warm up")
    threads = [threading.Thread(target=add, args=(store, A, f"note {n}")) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer = store._writers[A]
    assert store.page(A, offset=0, limit=100)["total"] == 17
    assert writer.commits < 17


def test_adds_in_a_row_share_a_commit_and_an_add_after_a_read_commits_at_once(
        store: MemoryStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer_module, "LINGER_S", 3600.0)  # only a read ends a wait
    store.page(A, offset=0, limit=1)  # the table and its writer open
    writer, committed = store._writers[A], threading.Event()
    assert writer.pending is not None  # journaled adds: nobody waits for their commit
    on_write = writer._on_write
    monkeypatch.setattr(writer, "_on_write", lambda: (on_write(), committed.set()))
    add(store, A, "the first add, after a read, commits at once")
    assert committed.wait(PATIENCE_S)
    committed.clear()
    before = writer.commits
    store.page(A, offset=0, limit=1)
    add(store, A, "and so does an add after another read")
    assert committed.wait(PATIENCE_S) and writer.commits == before + 1
    for n in range(5):  # adds in a row: they wait for one another, then for the read below
        add(store, A, f"note {n}")
    assert writer.pending.waiting and writer.commits == before + 1
    assert store.page(A, offset=0, limit=100)["total"] == 7
    assert writer.commits == before + 2


def test_a_table_made_with_another_model_is_detected(store: MemoryStore) -> None:
    add(store, A, "hello")
    with pytest.raises(ModelChanged, match="re-embed"):
        MemoryTable.open(store._db, A, "another-model@onnx-fp32", 384)


def test_memories_are_there_after_reopening(tmp_path: Path, store: MemoryStore,
                                            embeddings: EmbeddingService) -> None:
    ids = add(store, A, "durable one", "durable two")
    store.writer(A)  # committed (acknowledged adds left in the journal: test_early.py)
    again = MemoryStore(tmp_path / "memory", embeddings, require=require)
    assert {m["id"] for m in again.page(A, offset=0, limit=10)["items"]} == set(ids)
    again._writers[A].close()


def test_context_fits_the_budget_newest_first_among_equals(
        embeddings: EmbeddingService) -> None:
    items = [{"text": "old news", "score": 1.0, "at": 1.0},
             {"text": "new news", "score": 1.0, "at": 2.0},
             {"text": "a rather long memory " * 20, "score": 0.9, "at": 3.0},
             {"text": "small", "score": 0.5, "at": 4.0}]
    packed = pack(items, 12, embeddings.count_tokens)
    assert packed["text"] == "- new news\n- old news\n- small"
    assert packed["tokens"] == embeddings.count_tokens(packed["text"]) <= 12
    assert [m["tokens"] for m in packed["items"]] == [
        embeddings.count_tokens(f"- {m['text']}") for m in packed["items"]]


def test_the_row_cache_serves_fresh_rows_only() -> None:
    cache = RowCache(["id", "text"], max_rows=2)
    read_at = cache.generation
    cache.drop(["x"])  # a change committed while a reader fetched x
    cache.put([{"id": "x", "text": "old"}], generation=read_at)
    assert cache.get(["x"]) == {}
    cache.put([{"id": "x", "text": "new"}, {"id": "y", "text": "y"}])
    cache.get(["x"])["x"]["text"] = "changed by a caller"
    assert cache.get(["x"]) == {"x": {"id": "x", "text": "new"}}
    cache.put([{"id": "z", "text": "z"}])  # y, the least recently used, goes
    assert set(cache.get(["x", "y", "z"])) == {"x", "z"}


def test_the_personas_row_caches_share_one_budget() -> None:
    budget = RowBudget(total=5)
    first, second = RowCache(["id"]), RowCache(["id"])
    budget.join(first)
    budget.join(second)
    first.put([{"id": f"a{n}"} for n in range(4)])
    second.put([{"id": f"b{n}"} for n in range(2)])  # 6 over 5: the largest drops its oldest
    assert budget.rows() == 5
    assert set(first.get(["a0", "a1", "a2", "a3"])) == {"a1", "a2", "a3"}
    assert set(second.get(["b0", "b1"])) == {"b0", "b1"}
    second.put([{"id": f"c{n}"} for n in range(6)])  # second sheds most, down to first's size
    assert budget.rows() == 5 and sorted([len(first), len(second)]) == [2, 3]
    assert set(second.get(["c4", "c5"])) == {"c4", "c5"} and first.get(["a3"])  # the newest
    left = len(first)
    del second  # a closed table's cache leaves the budget
    gc.collect()
    assert budget.rows() == left


def test_reads_after_changes_and_reopening_match(tmp_path: Path, store: MemoryStore,
                                                 embeddings: EmbeddingService) -> None:
    kept, changed, gone = (add(store, A, text)[0]  # one add each: created_at orders them
                           for text in ("the red kite", "the blue boat", "the green hat"))
    store.update(A, changed, metadata={"colour": "navy"})
    store.delete(A, gone)
    warm = store.page(A, offset=0, limit=10)["items"]
    assert [m["id"] for m in warm] == [changed, kept] and warm[0]["metadata"] == {
        "colour": "navy"}
    cold = MemoryStore(tmp_path / "memory", embeddings, require=require)
    try:
        assert cold.page(A, offset=0, limit=10)["items"] == warm
        assert cold._table(A).rows([kept], ["id", "vector"])[kept]["vector"] is not None
    finally:
        for writer in cold._writers.values():
            writer.close()


def test_rows_read_by_position_stay_right_after_updates_deletes_and_compaction(
        tmp_path: Path, store: MemoryStore, embeddings: EmbeddingService) -> None:
    ids = store.add(A, [new(f"memory number {n}") for n in range(6)])
    store.writer(A)  # committed
    cold = MemoryStore(tmp_path / "memory", embeddings, require=require)
    try:
        table = cold._table(A)
        before, unknown = table.rowids.split(ids)
        assert not unknown  # every position was read with the vectors
        cold.update(A, ids[0], text="a changed memory")
        cold.delete(A, ids[1])
        assert table.rowids.split(ids[:2])[1] == ids[:2]  # moved and gone: read by id
        cold.writer(A).call(lambda t: t.optimize(3600.0))
        after, unknown = table.rowids.split(ids)
        assert unknown == [ids[1]] and after.keys() == set(ids) - {ids[1]}
        assert after[ids[2]] != before[ids[2]]  # compaction moved the rows
        table.rowids.put([ids[2]], [after[ids[3]]])  # a stale position: it holds ids[3]
        table.cache.drop(ids)
        rows = table.rows(ids, ["id", "text"])
        assert rows == {i: {"id": i, "text": t} for i, t in [
            (ids[0], "a changed memory"), *((ids[n], f"memory number {n}") for n in range(2, 6))]}
        by_position = table.rows([ids[4]], ["text", "vector"])  # past the row cache
        assert list(by_position) == [ids[4]] and set(by_position[ids[4]]) == {"text", "vector"}
        assert by_position[ids[4]]["text"] == "memory number 4"
    finally:
        for writer in cold._writers.values():
            writer.close()


def test_the_full_text_search_names_its_rows_known_or_not(
        tmp_path: Path, store: MemoryStore, embeddings: EmbeddingService) -> None:
    ids = store.add(A, [new(f"the {word} kite flew") for word in ("red", "blue", "green")])
    store.writer(A)  # committed
    cold = MemoryStore(tmp_path / "memory", embeddings, require=require)
    try:
        table = cold._table(A)
        assert {i for i, _ in table.text_search("kite", 10, None)} == set(ids)  # all known
        added = cold.add(A, [new("a yellow kite")])[0]  # its position is not known
        cold.update(A, ids[0], text="the red boat sailed")  # it moved
        cold.delete(A, ids[1])
        cold.writer(A)
        assert table.rowids.split([added, ids[0]])[1] == [added, ids[0]]
        found = table.text_search("kite", 10, None)
        assert {i for i, _ in found} == {ids[2], added}
        assert [i for i, _ in table.text_search("boat", 10, None)] == [ids[0]]
        texts = table.rows([i for i, _ in found], ["text"])
        assert all("kite" in texts[i]["text"] for i, _ in found)
    finally:
        for writer in cold._writers.values():
            writer.close()


class AskedCache(BoundedEmbeddingCache):
    """The embedding cache, noting the texts it is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def embeddings(self, model_id: str, texts: list[str], embed: Embed) -> Vectors:
        self.asked.extend(texts)
        return super().embeddings(model_id, texts, embed)


def test_stored_texts_are_embedded_past_the_cache_and_queries_through_it(
        tmp_path: Path, model_dir: Path) -> None:
    cache = AskedCache()
    service = EmbeddingService.onnx(model_dir, lambda: cache)
    opened = MemoryStore(tmp_path / "memory", service, require=require, clock=Clock())
    try:
        memory_id = add(opened, A, "the lantern on the harbour wall")[0]
        opened.update(A, memory_id, text="the lantern on the old harbour wall")
        assert cache.asked == []
        found = opened.search(A, "a harbour lantern", mode="hybrid", offset=0, limit=5)
        assert cache.asked == ["a harbour lantern"]
        assert [m["id"] for m in found["items"]] == [memory_id]
    finally:
        for writer in opened._writers.values():
            writer.close()
        service.close()


def test_lancedbs_caches_stay_within_their_limit_and_the_rows_kept_are_counted(
        tmp_path: Path, embeddings: EmbeddingService) -> None:
    bounded = MemoryStore(tmp_path / "memory", embeddings, require=require, clock=Clock(),
                          lancedb_cache_mb=0.25)
    try:
        for n in range(40):  # a commit each: LanceDB keeps each version's file metadata
            add(bounded, A if n % 2 else B, f"the keeper lit lamp number {n}")
            bounded.writer(A if n % 2 else B)
        for persona in (A, B):
            bounded.search(persona, "lamp", mode="hybrid", offset=0, limit=5)  # text index
        figures = bounded.cache_figures()
        assert figures["limit"] == 2**18 and 0 < figures["bytes"] <= figures["limit"]
        assert bounded.cached_rows() == len(bounded._table(A).cache) + len(
            bounded._table(B).cache) == 40  # every row added, once
    finally:
        for writer in bounded._writers.values():
            writer.close()
