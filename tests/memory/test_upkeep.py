"""Compaction of memory tables: on request and by itself, never losing or changing a result."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pajamas.embedding.service import EmbeddingService
from pajamas.memory.model import NewMemory
from pajamas.memory.store import MemoryStore, Mode
from pajamas.memory.upkeep import Policy, Upkeep, Work

A = "persona-a"
TEXTS = [f"memory {n}: Caroline went to the support group on day {n} and met {n % 7} friends"
         + (" after her violin lesson" if n % 25 == 3 else "") for n in range(200)]
QUERIES = ["support group friends", "day 150", "Caroline met 3 friends"]


class Threads:
    """Runs each compaction on a thread and keeps them, so a test can wait for them."""

    def __init__(self) -> None:
        self.started: list[tuple[str, threading.Thread]] = []
        self.progress: list[tuple[float, str]] = []

    def __call__(self, title: str, work: Work) -> str:
        thread = threading.Thread(target=work, args=(self._note,), daemon=True)
        self.started.append((title, thread))
        thread.start()
        return f"compaction-{len(self.started)}"

    def join(self) -> None:
        for _, thread in self.started:
            thread.join(120)
            assert not thread.is_alive()

    def _note(self, fraction: float, message: str) -> None:
        self.progress.append((fraction, message))


@pytest.fixture
def threads() -> Threads:
    return Threads()


def opened(folder: Path, embeddings: EmbeddingService, policy: Policy,
           threads: Threads) -> MemoryStore:
    return MemoryStore(folder, embeddings, require=lambda persona: None,
                       upkeep=Upkeep(policy, threads))


@pytest.fixture
def store(tmp_path: Path, embeddings: EmbeddingService,
          threads: Threads) -> Iterator[MemoryStore]:
    """A store that never compacts by itself (the thresholds are out of reach)."""
    embeddings.embed(TEXTS)  # cached: the single adds below commit without model time
    made = opened(tmp_path / "memory", embeddings, Policy(fragments=10**6, unindexed=10**6),
                  threads)
    yield made
    threads.join()
    for writer in made._writers.values():
        writer.close()


def single_adds(store: MemoryStore, texts: list[str]) -> list[str]:
    """One add at a time, each committed before the next (a fragment each)."""
    ids = []
    for text in texts:
        ids.append(store.add(A, [NewMemory(text=text, metadata={}, importance=0.5)])[0])
        store.writer(A)  # settled: committed
    return ids


def ids(store: MemoryStore, query: str, mode: Mode) -> list[str]:
    return [item["id"] for item in store.search(A, query, mode=mode, offset=0,
                                                limit=10)["items"]]


def results(store: MemoryStore) -> tuple[list[list[str]], set[str], str]:
    """Vector rankings, the text matches of a rare word and the best hybrid match.

    The order of full-text matches may change: BM25 weighs words by statistics that the
    index refresh brings up to date (unindexed rows are scored apart).
    """
    return ([ids(store, query, "vector") for query in QUERIES], set(ids(store, "violin", "text")),
            ids(store, "violin lesson on day 153", "hybrid")[0])


def test_compaction_merges_fragments_and_keeps_every_result(store: MemoryStore,
                                                            threads: Threads) -> None:
    ids = single_adds(store, TEXTS)
    before, stats = results(store), store.stats(A)
    assert stats["fragments"] >= 200 and not threads.started  # no compaction by itself
    task = store.maintain(A)
    threads.join()
    after = store.stats(A)
    assert task == "compaction-1" and after["fragments"] <= 2 and after["count"] == 200
    assert results(store) == before and len(before[1]) == 8
    assert {store.get(A, i)["id"] for i in ids} == set(ids)
    assert threads.progress[-1] == (1.0, "compacted")
    assert not store.upkeep.running(A)


def test_a_second_request_while_one_runs_gets_the_same_task(store: MemoryStore,
                                                            threads: Threads) -> None:
    single_adds(store, TEXTS[:5])
    writer = store._writer(A)
    gate = threading.Event()
    writer_blocked = threading.Event()

    def hold(table: object) -> None:
        writer_blocked.set()
        gate.wait(60)

    blocker = threading.Thread(target=writer.call, args=(hold,))
    blocker.start()
    writer_blocked.wait(60)  # the compaction queues behind the held writer
    first, second = store.maintain(A), store.maintain(A)
    gate.set()
    blocker.join()
    threads.join()
    assert first == second and len(threads.started) == 1 and not store.upkeep.running(A)


def test_fragments_past_the_threshold_start_a_compaction(tmp_path: Path,
                                                         embeddings: EmbeddingService,
                                                         threads: Threads) -> None:
    embeddings.embed(TEXTS[:40])
    store = opened(tmp_path / "memory", embeddings, Policy(fragments=16, unindexed=10**6),
                   threads)
    try:
        ids = single_adds(store, TEXTS[:40])
        threads.join()
        assert threads.started and threads.started[0][0] == f"compact the memory of {A}"
        assert store.stats(A)["fragments"] < 40 and store.stats(A)["count"] == 40
        assert {store.get(A, i)["id"] for i in ids} == set(ids)
    finally:
        for writer in store._writers.values():
            writer.close()


def test_unindexed_rows_past_the_threshold_refresh_the_text_index(
        tmp_path: Path, embeddings: EmbeddingService, threads: Threads) -> None:
    embeddings.embed(TEXTS[:30])
    store = opened(tmp_path / "memory", embeddings, Policy(fragments=10**6, unindexed=20),
                   threads)
    try:
        single_adds(store, TEXTS[:10])
        table = store._writer(A).table
        assert table.unindexed == 9 and not threads.started  # the first add built the index
        single_adds(store, TEXTS[10:30])
        threads.join()
        assert len(threads.started) == 1 and table.unindexed < 20
        found = store.search(A, "day 29", mode="text", offset=0, limit=3)["items"]
        assert found[0]["text"] == TEXTS[29]
    finally:
        for writer in store._writers.values():
            writer.close()


def test_memories_survive_compaction_and_reopening(tmp_path: Path, store: MemoryStore,
                                                   embeddings: EmbeddingService,
                                                   threads: Threads) -> None:
    ids = single_adds(store, TEXTS[:50])
    store.delete(A, ids[0])
    store.maintain(A)
    threads.join()
    for writer in store._writers.values():
        writer.close()
    store._writers.clear()
    again = opened(tmp_path / "memory", embeddings, Policy(), Threads())
    try:
        assert again.stats(A)["count"] == 49
        assert again.get(A, ids[49])["text"] == TEXTS[49]
    finally:
        for writer in again._writers.values():
            writer.close()


def test_policy_is_due_on_either_backlog() -> None:
    policy = Policy(fragments=4, unindexed=100)
    assert not policy.due(3, 99)
    assert policy.due(4, 0) and policy.due(0, 100)
