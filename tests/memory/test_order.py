"""memory.list's order is read once and kept until a write: `NewestFirst`, alone and in a store."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]

from pajamas.embedding.service import EmbeddingService
from pajamas.memory.order import NewestFirst
from tests.memory.stores import PERSONAS, new, opened

A = PERSONAS[0]


class Rows:
    """A table's id and created_at columns, counting the scans asked of it."""

    def __init__(self, rows: dict[str, float]) -> None:
        self.rows = rows
        self.scans = 0

    def scan(self, columns: list[str]) -> pa.Table:
        self.scans += 1
        table = pa.table({"id": list(self.rows), "created_at": list(self.rows.values())})
        return table.select(columns)


def test_the_order_is_read_once_until_a_write_changes_it() -> None:
    rows = Rows({"b": 2.0, "a": 2.0, "c": 1.0, "d": 3.0})
    order = NewestFirst(rows.scan)
    assert order.ids().to_pylist() == ["d", "a", "b", "c"]  # newest first, ties by id
    assert order.ids().to_pylist() == ["d", "a", "b", "c"] and rows.scans == 1
    rows.rows["e"] = 4.0
    order.changed()
    assert order.ids().to_pylist() == ["e", "d", "a", "b", "c"] and rows.scans == 2
    order.forget()  # released: read again on the next list
    order.ids()
    assert rows.scans == 3


def test_an_order_read_while_a_write_commits_is_not_kept() -> None:
    rows = Rows({"a": 1.0})
    order = NewestFirst(rows.scan)

    def scan_then_write(columns: list[str]) -> pa.Table:
        table = rows.scan(columns)
        rows.rows["b"] = 2.0  # a write commits after the scan read, before the order is kept
        order.changed()
        return table

    order._scan = scan_then_write
    assert order.ids().to_pylist() == ["a"]
    order._scan = rows.scan
    assert order.ids().to_pylist() == ["b", "a"]  # not the stale order: read again


def test_the_list_follows_adds_updates_and_deletes(tmp_path: Path,
                                                  embeddings: EmbeddingService) -> None:
    with opened(tmp_path / "memory", embeddings) as store:  # a clock a second on per call
        first = store.add(A, [new("one")])
        assert [m["id"] for m in store.page(A, offset=0, limit=10)["items"]] == first
        second = store.add(A, [new("two")])
        page = store.page(A, offset=0, limit=10)
        assert [m["id"] for m in page["items"]] == second + first and page["total"] == 2
        store.update(A, first[0], text="one, changed")
        assert store.page(A, offset=1, limit=1)["items"][0]["text"] == "one, changed"
        store.delete(A, second[0])
        page = store.page(A, offset=0, limit=10)
        assert [m["id"] for m in page["items"]] == first and page["total"] == 1
