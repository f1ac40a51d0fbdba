"""The resident budget: released vectors come back on the next search, with the same results;
searches racing releases and reloads stay right; compact vectors rank as exact float32 does."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pajamas.embedding.service import EmbeddingService
from pajamas.errors import NotFound
from pajamas.memory import table
from pajamas.memory.ann import Policy
from pajamas.memory.model import NewMemory
from pajamas.memory.store import MemoryStore
from pajamas.memory.vectors import Bounds, VectorIndex
from pajamas.perf import corpus
from tests.conftest import PATIENCE_S
from tests.memory.stores import Clock

A, B, C = "persona-a", "persona-b", "persona-c"
TURNS = corpus.turns(90)
QUERIES = ["a pet at home", "a trip to another city", "dinner and food", "a new job"]


def require(persona: str) -> None:
    if persona not in (A, B, C):
        raise NotFound(f"no persona {persona}")


@pytest.fixture
def folder(tmp_path: Path, embeddings: EmbeddingService) -> Path:
    """A memory folder where A, B and C have 30 turns each (a different 30)."""
    with opened(tmp_path / "memory", embeddings, resident_mb=512) as store:
        for n, persona in enumerate((A, B, C)):
            store.add(persona, [NewMemory(text=t, metadata={}, importance=0.5)
                                for t in TURNS[30 * n:30 * (n + 1)]])
    return tmp_path / "memory"


class opened:  # noqa: N801  (a context manager read as a phrase: with opened(...) as store)
    """A store on folder with the budget; its writers closed after (the embedder stays)."""

    def __init__(self, folder: Path, embeddings: EmbeddingService, *,
                 resident_mb: float) -> None:
        self.store = MemoryStore(folder, embeddings, require=require, clock=Clock(),
                                 resident_mb=resident_mb)

    def __enter__(self) -> MemoryStore:
        return self.store

    def __exit__(self, *exc: object) -> None:
        for writer in self.store._writers.values():
            writer.close()


def found(store: MemoryStore, persona: str, query: str, mode: str = "vector") -> list[Any]:
    """(id, score) of the top 10, and the total."""
    result = store.search(persona, query, mode=mode, offset=0, limit=10)  # type: ignore[arg-type]
    return [(item["id"], pytest.approx(item["score"], abs=1e-6)) for item in result["items"]
            ] + [result["total"]]


def resident(store: MemoryStore) -> dict[str, bool]:
    return {p: w.table.vectors.resident for p, w in store._writers.items()}


def budget_for_two(store: MemoryStore) -> None:
    """A budget that A's and B's vectors fill, with room for nothing more."""
    sizes = [store._writers[p].table.vectors.resident_bytes() for p in (A, B)]
    store.residency.budget_bytes = sum(sizes) + min(sizes) // 2


@pytest.fixture
def store(folder: Path, embeddings: EmbeddingService) -> Iterator[MemoryStore]:
    with opened(folder, embeddings, resident_mb=512) as made:
        yield made


def test_the_least_recently_used_persona_is_released_and_reloaded(store: MemoryStore) -> None:
    hybrid = found(store, A, QUERIES[1], "hybrid")
    before = {p: found(store, p, QUERIES[0]) for p in (A, B)}  # A, then B: A is the least recent
    budget_for_two(store)
    assert resident(store) == {A: True, B: True}
    found(store, C, QUERIES[0])  # C opens: A, the least recently used, goes
    assert resident(store) == {A: False, B: True, C: True}
    assert store.residency.figures() | {"resident_mb": 0} == {
        "resident_mb": 0, "budget_mb": pytest.approx(store.residency.budget_bytes / 2**20,
                                                     abs=0.1),
        "resident": 2, "released": 1, "releases": 1, "reloads": 0}
    assert store.stats(A)["vectors"]["resident"] is False
    assert found(store, A, QUERIES[0]) == before[A]  # reloaded: the same results
    assert found(store, A, QUERIES[1], "hybrid") == hybrid
    assert resident(store) == {A: True, B: False, C: True}  # B was the least recent now
    assert store.residency.reloads == 1 and store.residency.releases == 2
    assert found(store, B, QUERIES[0]) == before[B]


def test_writes_while_released_are_found_after_the_reload(store: MemoryStore) -> None:
    found(store, A, QUERIES[0])
    found(store, B, QUERIES[0])
    budget_for_two(store)
    found(store, C, QUERIES[0])
    assert not resident(store)[A]
    [new_id] = store.add(A, [NewMemory(text="Maya's tortoise Biscuit learned to climb stairs",
                                       metadata={}, importance=0.5)])
    assert not resident(store)[A] and store.stats(A)["count"] == 31  # an add does not load
    old_id = found(store, A, QUERIES[2])[0][0]
    assert isinstance(old_id, str)
    store.delete(A, old_id)
    top = found(store, A, "the tortoise that climbs stairs")
    assert top[0][0] == new_id and old_id not in [i for i, _ in found(store, A, QUERIES[2])[:-1]]
    assert store.stats(A)["count"] == len(store._writers[A].table.vectors) == 30


def test_a_reload_keeps_the_layout_in_lists(folder: Path, embeddings: EmbeddingService,
                                            monkeypatch: pytest.MonkeyPatch,
                                            builds: list[int]) -> None:
    """Personas laid out in lists (a small policy, built on the writer's thread) come back
    in the same lists, with no new layout, after a release; writes made meanwhile count."""
    monkeypatch.setattr(table, "VectorIndex", functools.partial(
        VectorIndex, policy=Policy(min_rows=20, min_scan=8, min_probes=2), background=False))
    with opened(folder, embeddings, resident_mb=512) as store:
        before = {(p, q): found(store, p, q) for p in (A, B) for q in QUERIES}
        layout = store.stats(A)["vectors"]
        assert layout["lists"] == 5 and builds == [30, 30]
        budget_for_two(store)
        found(store, C, QUERIES[0])
        assert resident(store) == {A: False, B: True, C: True} and builds == [30, 30, 30]
        assert [found(store, A, q) for q in QUERIES] == [before[A, q] for q in QUERIES]
        assert store.stats(A)["vectors"] == layout and builds == [30, 30, 30]  # none made
        found(store, C, QUERIES[0])  # B goes now: a write to B while it is released
        assert not resident(store)[B]
        [new_id] = store.add(B, [NewMemory(text="Maya's tortoise Biscuit learned to climb "
                                           "stairs", metadata={}, importance=0.5)])
        old_id = before[B, QUERIES[2]][0][0]
        store.delete(B, old_id)
        assert found(store, B, "the tortoise that climbs stairs")[0][0] == new_id
        assert builds == [30, 30, 30]
        assert store.stats(B)["vectors"] | {"fresh": 0} == layout | {"listed": 29}
        assert store.stats(B)["vectors"]["fresh"] == 1  # the new memory, searched exactly
        assert old_id not in [i for i, _ in found(store, B, QUERIES[2])[:-1]]


def test_concurrent_searches_through_releases_and_reloads(store: MemoryStore) -> None:
    expected = {(p, q): found(store, p, q) for p in (A, B) for q in QUERIES}
    store.residency.budget_bytes = 1  # only the persona in use stays: every switch releases
    threads, rounds = 4, 10
    start = threading.Barrier(threads + 1)
    results: list[tuple[tuple[str, str], list[Any]]] = []
    errors: list[BaseException] = []
    added: list[str] = []

    def search(n: int) -> None:
        try:
            start.wait(PATIENCE_S)
            for r in range(rounds):
                key = ((A, B)[(n + r) % 2], QUERIES[(n * rounds + r) % len(QUERIES)])
                results.append((key, found(store, *key)))
        except BaseException as exc:  # reported below, with the thread's results
            errors.append(exc)

    def write() -> None:  # C's writer works meanwhile, and C's searches release A and B
        try:
            start.wait(PATIENCE_S)
            for r in range(rounds):
                added.extend(store.add(C, [NewMemory(text=f"Note {r}: {TURNS[r]}",
                                                     metadata={}, importance=0.5)]))
                found(store, C, QUERIES[r % len(QUERIES)])
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=search, args=(n,)) for n in range(threads)]
    workers.append(threading.Thread(target=write))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(PATIENCE_S)
    assert not errors and len(results) == threads * rounds and len(added) == rounds
    assert all(got == expected[key] for key, got in results)
    assert store.residency.releases and store.residency.reloads
    assert store.stats(C)["count"] == 30 + rounds
    for memory_id in added:
        assert store.get(C, memory_id)["text"].startswith("Note")


@pytest.fixture(scope="module")
def turn_vectors(embeddings: EmbeddingService) -> tuple[np.ndarray, np.ndarray]:
    """400 turns of the synthetic corpus and 60 questions about them, embedded."""
    said = corpus.turns(400)
    asked = corpus.questions(60, over=400)
    return embeddings.embed(said), embeddings.embed(asked)


def test_compact_vectors_rank_as_exact_float32(
        turn_vectors: tuple[np.ndarray, np.ndarray]) -> None:
    vectors, queries = turn_vectors
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"t{n}" for n in range(len(vectors))]
    table = dict(zip(ids, vectors, strict=True))
    rescored = VectorIndex(vectors.shape[1], exact=lambda wanted: {i: table[i] for i in wanted})
    codes_only = VectorIndex(vectors.shape[1])
    for index in (rescored, codes_only):
        index.append(ids, vectors, np.zeros(len(ids)), np.full(len(ids), 0.5, np.float32))
    overlaps, code_overlaps = [], []
    for query in queries:
        scores = unit @ (query / np.linalg.norm(query))
        exact = [f"t{n}" for n in np.argsort(-scores, kind="stable")[:10]]
        got = rescored.search(query, 10, Bounds())
        overlaps.append(len({i for i, _ in got} & set(exact)) / 10)
        code_overlaps.append(len({i for i, _ in codes_only.search(query, 10, Bounds())}
                                 & set(exact)) / 10)
        assert got[0][0] == exact[0]
        assert got[0][1] == pytest.approx(float(scores[int(exact[0][1:])]), abs=1e-5)
    assert np.mean(overlaps) >= 0.99 and np.mean(code_overlaps) >= 0.9
