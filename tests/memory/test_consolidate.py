"""Consolidation and supersession on real LanceDB tables with the real model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pajamas.embedding.service import EmbeddingService
from pajamas.errors import InvalidParams, NotFound
from pajamas.memory.consolidate import (
    Rules,
    consolidate,
    contradicts,
    negated,
    same_text,
    supersede,
)
from pajamas.memory.store import MemoryStore
from tests.memory.stores import Clock, new, opened, progress

A = "persona-a"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, embeddings: EmbeddingService, clock: Clock) -> Iterator[MemoryStore]:
    with opened(tmp_path / "memory", embeddings, clock) as s:
        yield s


def run(store: MemoryStore, clock: Clock) -> dict[str, int]:
    return consolidate(store.writer(A), Rules(), clock, progress)


def ids(found: dict[str, object]) -> list[str]:
    return [m["id"] for m in found["items"]]  # type: ignore[attr-defined, index]


def test_the_rules_in_words() -> None:
    assert contradicts("Melanie has 2 children", "Melanie has 3 children")
    assert contradicts("I like jazz", "I don't like jazz") and negated("I never drink")
    assert not contradicts("I like jazz", "I really like jazz")
    assert not contradicts("born in 1990", "I was born in 1990, in May")
    assert contradicts("I do not eat meat", "I eat meat")
    assert not contradicts("Caroline: I went to the support group yesterday",
                           "Melanie: I didn't know you went to groups")  # not one statement
    assert not contradicts("We have 2 dogs and a cat", "Our 3 kids love the beach")
    assert same_text("Caroline moved to Boston.", "caroline  moved to boston")
    assert not same_text("Caroline moved to Boston", "Caroline adopted a dog in Boston")


def test_a_duplicate_is_merged_into_the_older_memory(store: MemoryStore, clock: Clock) -> None:
    [older] = store.add(A, [new("Caroline moved to Boston last spring", 0.3, source="chat")])
    [newer] = store.add(A, [new("caroline moved to Boston last spring.", 0.8, mood="happy")])
    [other] = store.add(A, [new("The quarterly report is due on Friday")])
    assert run(store, clock) == {"merged": 1, "superseded": 0, "examined": 3}
    kept = store.get(A, older)
    assert kept["text"] == "Caroline moved to Boston last spring"
    assert kept["metadata"]["source"] == "chat" and kept["metadata"]["mood"] == "happy"
    assert [m["id"] for m in kept["metadata"]["merged"]] == [newer]
    assert kept["metadata"]["merged"][0]["text"] == "caroline moved to Boston last spring."
    assert kept["importance"] == pytest.approx(0.8)
    with pytest.raises(NotFound):
        store.get(A, newer)
    found = store.search(A, "Boston", mode="vector", offset=0, limit=10)
    assert set(ids(found)) == {older, other} and found["total"] == 2  # the index follows
    assert run(store, clock)["merged"] == 0  # nothing left to merge


def test_every_merge_of_a_batch_is_one_commit(store: MemoryStore, clock: Clock) -> None:
    # Updates of the older memories and deletions of the newer ones in separate commits left,
    # when the core was killed between them, a memory both in its own row and in the row it
    # was merged into.  One commit leaves every group whole or unmerged.
    texts = ["Caroline moved to Boston last spring", "Melanie paints sunsets by the lake"]
    older = [store.add(A, [new(text)])[0] for text in texts]
    newer = [store.add(A, [new(text.lower() + ".")])[0] for text in texts]
    before = store.writer(A).table.stats()["version"]
    assert run(store, clock)["merged"] == 2
    assert store.writer(A).table.stats()["version"] == before + 1
    for kept, gone in zip(older, newer, strict=True):
        assert [m["id"] for m in store.get(A, kept)["metadata"]["merged"]] == [gone]
        with pytest.raises(NotFound):
            store.get(A, gone)


def test_a_contradiction_is_superseded_not_deleted(store: MemoryStore, clock: Clock) -> None:
    [two] = store.add(A, [new("Melanie has 2 children")])
    between = clock.now + 0.5
    [three] = store.add(A, [new("Melanie has 3 children")])
    assert run(store, clock) == {"merged": 0, "superseded": 1, "examined": 2}
    old = store.get(A, two)
    assert old["metadata"]["superseded_by"] == three
    assert old["metadata"]["superseded_at"] == store.get(A, three)["created_at"]
    now = store.search(A, "how many children", mode="hybrid", offset=0, limit=10)
    assert ids(now) == [three] and now["total"] == 1
    then = store.search(A, "how many children", mode="hybrid", offset=0, limit=10,
                        as_of=between)
    assert ids(then) == [two] and then["total"] == 1
    every = store.search(A, "children", mode="text", offset=0, limit=10,
                         include_superseded=True)
    assert set(ids(every)) == {two, three}
    assert run(store, clock)["superseded"] == 0  # a superseded memory takes no further part


def test_a_newer_memory_with_the_same_key_supersedes(store: MemoryStore, clock: Clock) -> None:
    [paris] = store.add(A, [new("I live in Paris", key="user.city")])
    [berlin] = store.add(A, [new("My home is Berlin now", key="user.city")])
    [dog] = store.add(A, [new("I have a dog named Rex", key="user.pet")])
    assert run(store, clock)["superseded"] == 1
    assert store.get(A, paris)["metadata"]["superseded_by"] == berlin
    found = store.search(A, "where do I live", mode="vector", offset=0, limit=10)
    assert set(ids(found)) == {berlin, dog}


def test_explicit_supersede_and_undo(store: MemoryStore, clock: Clock,
                                     tmp_path: Path, embeddings: EmbeddingService) -> None:
    [old] = store.add(A, [new("The meeting is on Monday")])
    [fresh] = store.add(A, [new("The meeting moved to Tuesday")])
    with pytest.raises(InvalidParams):
        supersede(store, A, old, old, at=None, clock=clock)
    with pytest.raises(NotFound):
        supersede(store, A, old, "nope", at=None, clock=clock)
    marked = supersede(store, A, old, fresh, at=None, clock=clock)
    assert marked["metadata"]["superseded_at"] == store.get(A, fresh)["created_at"]
    assert ids(store.search(A, "meeting", mode="text", offset=0, limit=5)) == [fresh]
    with opened(tmp_path / "memory", embeddings) as reopened:  # the set is loaded on open
        assert ids(reopened.search(A, "meeting", mode="text", offset=0, limit=5)) == [fresh]
    store.update(A, old, metadata={})  # an update that drops the mark makes it current again
    assert set(ids(store.search(A, "meeting", mode="text", offset=0, limit=5))) == {old, fresh}
    assert store.page(A, offset=0, limit=10)["total"] == 2  # list shows all


def test_blocked_pairs_match_brute_force(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from pajamas.memory import consolidate as module

    monkeypatch.setattr(module, "CHUNK", 64)
    monkeypatch.setattr(module, "COLUMNS", 100)
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(20, 16)).astype(np.float32)
    vectors = (centres[rng.integers(0, 20, 500)]
               + 0.3 * rng.normal(size=(500, 16))).astype(np.float32)
    norms = np.linalg.norm(vectors, axis=1)
    unit = vectors / norms[:, None]
    similar = unit @ unit.T
    expected = {(i, j) for i in range(500) for j in range(i + 1, 500) if similar[i, j] >= 0.9}
    found = {(i, j): s for i, j, s in module.pairs(vectors, norms, 0.9, lambda f: None)}
    assert set(found) == expected and len(expected) > 100
    assert all(abs(s - similar[i, j]) < 1e-5 for (i, j), s in found.items())


def test_consolidate_through_the_core_and_the_cli(home: Path, model_dir: Path) -> None:
    import subprocess
    import sys

    from tests.conftest import core_env
    from tests.memory.stores import finished, memory_core

    with memory_core(home, model_dir) as client:
        ada = client.call("persona.create", {"name": "Ada"})["id"]
        [old] = client.call("memory.add_batch", {"persona": ada, "items": [
            {"text": "Ada's flat has 2 bedrooms"}]})["ids"]
        [new_one] = client.call("memory.add_batch", {"persona": ada, "items": [
            {"text": "Ada's flat has 3 bedrooms"}]})["ids"]
        query = {"persona": ada, "query": "how many bedrooms", "mode": "text"}
        assert len(client.call("memory.search", query)["items"]) == 2  # now cached
        view = finished(client, client.call("memory.consolidate", {"persona": ada}))
        assert view["state"] == "done" and view["result"]["superseded"] == 1
        assert [m["id"] for m in client.call("memory.search", query)["items"]] == [new_one]
        made = client.call("memory.get", {"persona": ada, "id": old})["created_at"]
        then = client.call("memory.search", query | {"as_of": made})
        assert [m["id"] for m in then["items"]] == [old]
        every = client.call("memory.search", query | {"include_superseded": True})
        assert len(every["items"]) == 2
        ran = subprocess.run([sys.executable, "-m", "pajamas", "memory", "consolidate", "Ada"],
                             env=core_env(home), capture_output=True, text=True, timeout=120)
        assert ran.returncode == 0, ran.stderr
        assert '"superseded": 0' in ran.stdout.splitlines()[-1]
