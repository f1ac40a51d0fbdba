"""VectorIndex alone, and the store's copy staying in step with its LanceDB table."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import lancedb
import numpy as np
import pyarrow as pa
import pytest

from pajamas.embedding.service import EmbeddingService
from pajamas.memory.model import NewMemory
from pajamas.memory.schema import schema
from pajamas.memory.store import MemoryStore
from pajamas.memory.table import MemoryTable
from pajamas.memory.vectors import Bounds, VectorIndex
from tests.memory.stores import before_threads
from tests.memory.test_ann import reader, stored

P = "persona-v"
TEXTS = ["Melanie went camping with her kids", "Caroline signed up for a pottery class",
         "The quarterly report is due on Friday", "John adopted a puppy named Max",
         "We watched the sunset from the pier", "Grandma's apple pie recipe uses cinnamon",
         "The train to Berlin was delayed by an hour", "She painted a lake at dawn"]


def brute_force(vectors: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = unit @ (query / np.linalg.norm(query))
    return sorted(range(len(scores)), key=lambda n: (-scores[n], n))[:k]


def filled(rows: int, dimension: int = 8, seed: int = 0) -> tuple[VectorIndex, np.ndarray]:
    vectors = np.random.default_rng(seed).normal(size=(rows, dimension)).astype(np.float32)
    index = VectorIndex(dimension, exact=reader(vectors))
    for start in range(0, rows, 7):  # several appends: the capacity grows on the way
        end = min(rows, start + 7)
        index.append([f"m{n}" for n in range(start, end)], vectors[start:end],
                     np.arange(start, end, dtype=np.float64),
                     np.full(end - start, 0.5, np.float32))
    return index, vectors


def test_search_is_exact_against_brute_force() -> None:
    index, vectors = filled(100)
    query = np.random.default_rng(1).normal(size=8).astype(np.float32)
    found = index.search(query, 10, Bounds())
    assert [i for i, _ in found] == [f"m{n}" for n in brute_force(vectors, query, 10)]
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
    assert len(index.search(query, 500, Bounds())) == 100


class Counted:
    """An exact-vector reader that counts the rows asked of it."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.read, self.asked = reader(vectors), 0

    def __call__(self, ids: list[str]) -> dict[str, np.ndarray]:
        self.asked += len(ids)
        return self.read(ids)


def test_a_ranking_for_a_fusion_reads_no_exact_vectors() -> None:
    vectors = np.random.default_rng(2).normal(size=(200, 32)).astype(np.float32)
    counted = Counted(vectors)
    index = VectorIndex(32, exact=counted)
    index.append([f"m{n}" for n in range(200)], vectors, np.arange(200, dtype=np.float64),
                 np.full(200, 0.5, np.float32))
    query = np.random.default_rng(3).normal(size=32).astype(np.float32)
    by_codes = index.search(query, 10, Bounds(), rescore=False)
    assert counted.asked == 0
    exact = index.search(query, 10, Bounds())
    assert counted.asked == 40  # the codes' best 4 k, scored again
    assert [i for i, _ in exact] == [f"m{n}" for n in brute_force(vectors, query, 10)]
    assert len({i for i, _ in by_codes} & {i for i, _ in exact}) >= 9  # the codes rank as well


def test_bounds_filter_by_time_and_id() -> None:
    index, vectors = filled(50)
    query = vectors[3]
    in_time = index.search(query, 50, Bounds(since=10, until=20))
    assert sorted(int(i[1:]) for i, _ in in_time) == list(range(10, 20))
    assert index.count(Bounds(since=10, until=20)) == 10
    only = index.search(query, 5, Bounds(only={"m3", "m7", "missing"}))
    assert only[0][0] == "m3" and {i for i, _ in only} == {"m3", "m7"}
    assert index.count(Bounds(only=set())) == 0


def test_update_and_remove_change_what_is_found() -> None:
    index, vectors = filled(30)
    index.update("m5", vector=vectors[9], importance=0.9)
    stored(index)["m5"] = vectors[9]
    assert {i for i, _ in index.search(vectors[9], 2, Bounds())} == {"m5", "m9"}
    assert index.facts(["m5", "nope"]) == {"m5": {"importance": pytest.approx(0.9),
                                                  "at": 5.0}}
    index.remove({"m2", "m5"})
    assert len(index) == 28 and "m2" not in {i for i, _ in index.search(vectors[2], 28,
                                                                          Bounds())}
    stored(index)["new"] = vectors[2]
    index.append(["new"], vectors[2:3], np.array([99.0]), np.array([0.1], np.float32))
    assert index.search(vectors[2], 1, Bounds())[0][0] == "new"
    assert index.facts(["new", "m3"]) == {"new": {"importance": pytest.approx(0.1),
                                                  "at": 99.0},
                                          "m3": {"importance": 0.5, "at": 3.0}}


@pytest.fixture
def store(tmp_path: Path, embeddings: EmbeddingService) -> Iterator[MemoryStore]:
    opened = MemoryStore(tmp_path / "memory", embeddings, require=lambda persona: None)
    yield opened
    for writer in opened._writers.values():  # the session's embedder stays open
        writer.close()


def assert_in_step(table: MemoryTable) -> None:
    """The in-memory index holds exactly the table's rows, vectors and facts."""
    scanned = table.scan(["id", "vector", "importance", "at"]).to_pylist()
    assert table.vectors.count(Bounds()) == len(scanned) == table.count()
    facts = table.vectors.facts([row["id"] for row in scanned])
    for row in scanned:
        assert facts[row["id"]] == {"importance": pytest.approx(row["importance"]),
                                    "at": row["at"]}
        nearest = table.vector_search(np.array(row["vector"], np.float32), 1, Bounds())
        assert nearest[0][0] == row["id"] and nearest[0][1] == pytest.approx(1.0, abs=1e-5)


def test_the_index_follows_adds_updates_and_deletes(store: MemoryStore) -> None:
    ids = store.add(P, [NewMemory(text=t, metadata={}, importance=0.5) for t in TEXTS])
    table = store._table(P)
    assert_in_step(table)
    store.update(P, ids[0], text="A spaceship landed in the desert", importance=0.9)
    assert_in_step(table)
    assert store.search(P, "spaceship desert", mode="vector", offset=0,
                        limit=1)["items"][0]["id"] == ids[0]
    store.delete(P, ids[1])
    assert_in_step(table)
    assert ids[1] not in {m["id"] for m in store.search(P, "pottery class", mode="hybrid",
                                                         offset=0, limit=10)["items"]}


def test_vector_search_is_exact_against_the_table(store: MemoryStore,
                                                  embeddings: EmbeddingService) -> None:
    store.add(P, [NewMemory(text=t, metadata={}, importance=0.5) for t in TEXTS])
    scanned = store._table(P).scan(["id", "vector"])
    vectors = np.array(scanned["vector"].to_pylist(), np.float32)
    query = embeddings.embed(["a day outdoors with the family"])[0]
    expected = [scanned["id"][n].as_py() for n in brute_force(vectors, query, 5)]
    found = store.search(P, "a day outdoors with the family", mode="vector", offset=0, limit=5)
    assert [m["id"] for m in found["items"]] == expected and found["total"] == len(TEXTS)


def test_a_reopened_store_loads_the_vectors(tmp_path: Path, store: MemoryStore,
                                            embeddings: EmbeddingService) -> None:
    store.add(P, [NewMemory(text=t, metadata={}, importance=0.5) for t in TEXTS])
    store.writer(P)  # committed
    again = MemoryStore(tmp_path / "memory", embeddings, require=lambda persona: None)
    table = again._table(P)
    assert len(table.vectors) == len(TEXTS)
    assert_in_step(table)
    again._writers[P].close()


def test_a_large_table_opens_in_batches_and_is_laid_out_in_lists(tmp_path: Path) -> None:
    rows, dimension = 30_000, 8  # past Policy.min_rows: the open starts a layout
    vectors = np.random.default_rng(3).normal(size=(rows, dimension)).astype(np.float32)
    shape = before_threads(schema("test-model", dimension))  # `at` comes from created_at
    db = lancedb.connect(str(tmp_path))
    db.create_table(P, schema=shape).add(pa.table({
        "id": [f"m{n}" for n in range(rows)], "text": ["t"] * rows, "metadata": ["{}"] * rows,
        "importance": [0.5] * rows, "created_at": np.arange(rows, dtype=np.float64),
        "updated_at": [0.0] * rows, "accessed_at": [0.0] * rows, "model": ["test-model"] * rows,
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), dimension),
    }, schema=shape))
    table = MemoryTable.open(db, P, "test-model", dimension)
    assert len(table.vectors) == rows
    for _ in range(2_400):  # up to two minutes on a busy machine
        layout = table.stats()["vectors"]
        if layout["lists"] and not layout["building"]:
            break
        time.sleep(0.05)
    assert layout["listed"] == rows and layout["fresh"] == 0
    for n in (0, 12_345, rows - 1):
        assert table.vector_search(vectors[n], 1, Bounds())[0][0] == f"m{n}"
    table.delete(["m12345"])
    assert table.vector_search(vectors[12_345], 1, Bounds())[0][0] != "m12345"
    assert table.vectors.count(Bounds(since=rows - 10)) == 10
