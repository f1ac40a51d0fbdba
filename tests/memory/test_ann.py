"""Inverted lists in VectorIndex: layouts, approximate search, the exact tail, bounds, changes."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import cast

import numpy as np
import pytest

from pajamas.memory import ann
from pajamas.memory.ann import Policy
from pajamas.memory.vectors import Bounds, VectorIndex

DIM = 32
ROWS = 20_000
SMALL = Policy(min_rows=5_000, min_scan=2_000, scan_share=0.05)


def clustered(rows: int, seed: int = 0) -> np.ndarray:
    """Unit vectors scattered around 300 centres (real embeddings have neighbours too)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(300, DIM))
    vectors = centres[rng.integers(0, 300, rows)] + rng.normal(scale=0.35, size=(rows, DIM))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def filled(vectors: np.ndarray, policy: Policy = SMALL, *,
           background: bool = False) -> VectorIndex:
    index = VectorIndex(DIM, policy, background=background, exact=reader(vectors))
    index.append([f"m{n}" for n in range(len(vectors))], vectors,
                 np.arange(len(vectors), dtype=np.float64), np.full(len(vectors), 0.5,
                                                                    np.float32))
    return index


class Stored(dict[str, np.ndarray]):
    """The float32 vectors a table would hold, by id: what the index reads to re-score."""

    def __call__(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        return {i: self[i] for i in ids if i in self}


def reader(vectors: np.ndarray) -> Stored:
    """The stored vectors of rows "m<n>" (a test that changes one changes it here too)."""
    return Stored({f"m{n}": vector for n, vector in enumerate(vectors)})


def stored(index: VectorIndex) -> Stored:
    """The vectors index re-scores with."""
    return cast(Stored, index._exact)


def exact(vectors: np.ndarray, query: np.ndarray, k: int,
          rows: list[int] | None = None) -> list[str]:
    allowed = np.arange(len(vectors)) if rows is None else np.array(rows)
    scores = vectors[allowed] @ (query / np.linalg.norm(query))
    return [f"m{allowed[n]}" for n in np.argsort(-scores, kind="stable")[:k]]


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return clustered(ROWS)


@pytest.fixture
def index(vectors: np.ndarray) -> VectorIndex:
    return filled(vectors)


def queries(count: int = 40) -> np.ndarray:
    return clustered(count, seed=1)


def assert_grouped(layout: ann.Layout, vectors: np.ndarray) -> None:
    """Every row once, in the list of its nearest centroid."""
    lists = layout.lists
    assert sorted(layout.order.tolist()) == list(range(len(vectors)))
    assert lists.listed == len(vectors) and np.all(np.diff(lists.offsets) >= 0)
    labels = ann.assign(vectors[layout.order], lists.centroids)
    expected = np.repeat(np.arange(len(lists.centroids)), np.diff(lists.offsets))
    assert np.array_equal(labels, expected)


def test_a_layout_groups_every_row_under_its_nearest_centroid(vectors: np.ndarray) -> None:
    layout = ann.build(vectors, SMALL)
    assert_grouped(layout, vectors)
    assert len(layout.lists.centroids) == round(ROWS ** 0.5)


def test_a_layout_extends_with_the_same_centroids(vectors: np.ndarray) -> None:
    first = ann.build(vectors[:15_000], SMALL)
    changed = first.lists.marked(3)
    grown = np.concatenate([vectors[:15_000][first.order], vectors[15_000:]])
    grown[3] = vectors[19_999]  # row 3 changed: it moves to that row's list
    layout = ann.build(grown, SMALL, changed)
    assert layout.lists.centroids is first.lists.centroids and layout.lists.trained == 15_000
    assert_grouped(layout, grown)


def test_small_tables_stay_exact(vectors: np.ndarray) -> None:
    index = filled(vectors[:4_000])
    assert index.layout() == {"lists": 0, "listed": 0, "fresh": 4_000, "changed": 0,
                              "building": False, "resident": True}
    for query in queries(5):
        assert [i for i, _ in index.search(query, 10, Bounds())] == exact(vectors[:4_000],
                                                                         query, 10)


def test_search_with_lists_is_close_to_exact_and_scores_exactly(
        index: VectorIndex, vectors: np.ndarray) -> None:
    assert index.layout()["listed"] == ROWS
    hits = []
    for query in queries():
        found = index.search(query, 10, Bounds())
        hits.append(len({i for i, _ in found} & set(exact(vectors, query, 10))) / 10)
        rows = [int(i[1:]) for i, _ in found]
        assert [s for _, s in found] == pytest.approx(list(vectors[rows] @ query), abs=1e-5)
        assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
    assert np.mean(hits) >= 0.9  # recall@10, here ~0.99


def test_fresh_rows_are_searched_exactly(index: VectorIndex, vectors: np.ndarray) -> None:
    asked = queries(20)
    stored(index).update({f"new{n}": query for n, query in enumerate(asked)})
    index.append([f"new{n}" for n in range(20)], asked, np.full(20, 1e9),
                 np.full(20, 0.5, np.float32))
    assert index.layout()["fresh"] == 20
    for n, query in enumerate(asked):
        assert index.search(query, 1, Bounds())[0][0] == f"new{n}"
    assert index.count(Bounds(since=1e9)) == 20


def test_bounds_hold_with_lists(index: VectorIndex, vectors: np.ndarray) -> None:
    for query in queries(10):
        found = index.search(query, 10, Bounds(since=5_000, until=15_000))
        assert len(found) == 10 and all(5_000 <= int(i[1:]) < 15_000 for i, _ in found)
        only = [int(n) for n in np.random.default_rng(2).choice(ROWS, 300, replace=False)]
        chosen = index.search(query, 10, Bounds(only={f"m{n}" for n in only}))
        assert [i for i, _ in chosen] == exact(vectors, query, 10, sorted(only))
    last = index.search(queries(1)[0], 10, Bounds(since=ROWS - 3))
    assert sorted(i for i, _ in last) == [f"m{n}" for n in range(ROWS - 3, ROWS)]


def test_deletes_and_updates_are_seen_with_lists(index: VectorIndex,
                                                 vectors: np.ndarray) -> None:
    query = queries(1)[0]
    gone = {i for i, _ in index.search(query, 5, Bounds())}
    index.remove(gone)
    assert not gone & {i for i, _ in index.search(query, 50, Bounds())}
    assert len(index) == ROWS - 5 and index.layout()["listed"] == ROWS - 5
    far = int(np.argmin(vectors @ query))  # a row in a list far from the query
    index.update(f"m{far}", vector=query, importance=0.9)
    stored(index)[f"m{far}"] = query
    assert index.layout()["changed"] == 1
    assert index.search(query, 1, Bounds())[0] == (f"m{far}", pytest.approx(1.0))
    assert index.facts([f"m{far}", "m7"]) == {
        f"m{far}": {"importance": pytest.approx(0.9), "at": float(far)},
        "m7": {"importance": 0.5, "at": 7.0}}
    index.remove({f"m{far}"})
    assert index.search(query, 1, Bounds())[0][0] != f"m{far}"
    index.remove({f"m{n}" for n in range(ROWS)})
    assert index.search(query, 10, Bounds()) == [] and index.layout()["listed"] == 0


def test_a_grown_tail_gets_a_new_layout(vectors: np.ndarray) -> None:
    index = filled(vectors[:10_000])
    extra = vectors[10_000:13_000]
    index.append([f"m{n}" for n in range(10_000, 13_000)], extra,
                 np.arange(10_000, 13_000, dtype=np.float64), np.full(3_000, 0.5, np.float32))
    after = index.layout()  # the tail passed a fifth of the listed rows: extended lists
    assert after["listed"] == 13_000 and after["lists"] == round(10_000 ** 0.5)
    index.append([f"m{n}" for n in range(13_000, ROWS)], vectors[13_000:],
                 np.arange(13_000, ROWS, dtype=np.float64), np.full(ROWS - 13_000, 0.5,
                                                                    np.float32))
    assert index.layout()["lists"] == round(ROWS ** 0.5)  # twice the rows: trained again
    for n in (3, 10_500, 12_999, 19_999):
        assert index.search(vectors[n], 1, Bounds())[0][0] == f"m{n}"


def test_a_background_layout_keeps_every_row_findable(vectors: np.ndarray) -> None:
    index = filled(vectors[:12_000], background=True)
    for start in range(12_000, ROWS, 1_000):  # appends while the layout is being built
        index.append([f"m{n}" for n in range(start, start + 1_000)],
                     vectors[start:start + 1_000], np.arange(start, start + 1_000, dtype=float),
                     np.full(1_000, 0.5, np.float32))
    for _ in range(2_400):  # up to two minutes on a busy machine
        layout = index.layout()
        if layout["lists"] and not layout["building"]:
            break
        time.sleep(0.05)
    assert index.layout()["listed"] + index.layout()["fresh"] == ROWS
    for n in range(0, ROWS, 997):
        assert index.search(vectors[n], 1, Bounds())[0][0] == f"m{n}"
