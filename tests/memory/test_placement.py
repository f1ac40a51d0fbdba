"""A released index read in again through its `Placement`: each row back where it was, the
lists kept, rows deleted meanwhile dropped and rows added meanwhile in the exact tail."""

from __future__ import annotations

import numpy as np
import pytest

from pajamas.memory.placement import Placement
from pajamas.memory.vectors import Bounds, VectorIndex
from tests.memory.test_ann import SMALL, clustered, queries, reader

ROWS = 8_000
BATCH = 1_000


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return clustered(ROWS + 200, seed=3)


def rowid(n: int) -> int:
    """The LanceDB row id of row "m<n>" (fragment n // 1000, offset n % 1000)."""
    return (n // BATCH) << 32 | n % BATCH


def filled(vectors: np.ndarray) -> VectorIndex:
    """An index of the first ROWS rows, laid out in lists (any row re-scored exactly)."""
    index = VectorIndex(vectors.shape[1], SMALL, background=False, exact=reader(vectors))
    index.append([f"m{n}" for n in range(ROWS)], vectors[:ROWS],
                 np.arange(ROWS, dtype=np.float64), np.full(ROWS, 0.5, np.float32))
    return index


def placement_of(index: VectorIndex) -> Placement:
    laid_out = index.laid_out()
    assert laid_out is not None
    ids, lists = laid_out
    return Placement.of(np.array([rowid(int(i[1:])) for i in ids], np.int64), lists)


def reloaded(vectors: np.ndarray, placement: Placement, rows: list[int]) -> VectorIndex:
    """A fresh index read from a table holding rows "m<n>" for n in rows, in that order."""
    index = VectorIndex(vectors.shape[1], SMALL, background=False, exact=reader(vectors))
    index.reserve(len(rows), placement)
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        index.append([f"m{n}" for n in batch], vectors[batch], np.array(batch, np.float64),
                     np.full(len(batch), 0.5, np.float32),
                     np.array([rowid(n) for n in batch], np.int64))
    index.loaded()
    return index


def results(index: VectorIndex, bounds: Bounds | None = None) -> list[list[tuple[str, float]]]:
    return [index.search(query, 10, bounds or Bounds()) for query in queries(20)]


def test_a_reload_puts_every_row_back_and_keeps_the_lists(vectors: np.ndarray,
                                                          builds: list[int]) -> None:
    before = filled(vectors)
    assert before.layout()["lists"] > 0 and builds == [ROWS]
    placement = placement_of(before)
    after = reloaded(vectors, placement, list(range(ROWS)))
    assert builds == [ROWS]  # the reload built nothing
    assert after.layout() == before.layout()  # no new layout was needed
    view, old = after._view, before._view
    assert view.ids[:view.size] == old.ids[:old.size]
    assert np.array_equal(view.codes[:view.size], old.codes[:old.size])
    assert np.array_equal(view.created[:view.size], old.created[:old.size])
    assert all(view.positions[i] == n for n, i in enumerate(old.ids[:old.size]))
    assert results(after) == results(before)
    assert results(after, Bounds(since=100, until=4000)) == results(
        before, Bounds(since=100, until=4000))


def test_rows_deleted_and_added_while_released(vectors: np.ndarray, builds: list[int]) -> None:
    """What the table holds at the reload wins: deleted rows are gone, added ones are found."""
    before = filled(vectors)
    placement = placement_of(before)
    deleted = set(range(0, ROWS, 7))
    added = list(range(ROWS, ROWS + 200))
    rows = [n for n in range(ROWS) if n not in deleted] + added
    after = reloaded(vectors, placement, rows)
    assert builds == [ROWS]
    # The same as the released index with the same changes made to it while resident.
    before.remove({f"m{n}" for n in deleted})
    before.append([f"m{n}" for n in added], vectors[added], np.array(added, np.float64),
                  np.full(len(added), 0.5, np.float32))
    assert len(after) == len(rows)
    assert after.layout() == before.layout()
    assert after.layout()["fresh"] == len(added)
    assert results(after) == results(before)
    top = after.search(vectors[ROWS + 5], 1, Bounds())
    assert top[0][0] == f"m{ROWS + 5}"
    assert not {f"m{n}" for n in deleted} & set(after._view.positions)


def test_a_placement_from_another_table_lays_out_afresh(vectors: np.ndarray,
                                                        builds: list[int]) -> None:
    """No row id known (a compaction renumbered every row): every row is in the tail, and a
    new layout is made."""
    before = filled(vectors)
    placement = placement_of(before)
    index = VectorIndex(vectors.shape[1], SMALL, background=False, exact=reader(vectors))
    index.reserve(ROWS, placement)
    index.append([f"m{n}" for n in range(ROWS)], vectors[:ROWS],
                 np.arange(ROWS, dtype=np.float64), np.full(ROWS, 0.5, np.float32),
                 np.arange(ROWS, dtype=np.int64) + (99 << 32))
    index.loaded()
    assert len(index) == ROWS and index.layout()["lists"] > 0 and builds == [ROWS, ROWS]
    assert index.layout()["fresh"] == 0  # laid out again
    assert results(index) == results(before)
