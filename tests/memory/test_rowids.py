"""`RowIds` both ways: positions by id, and ids by position (what the full-text search asks)."""

from __future__ import annotations

from pajamas.memory.rowids import RowIds


def test_positions_and_ids_agree_through_puts_moves_drops_and_replaces() -> None:
    rows = RowIds()
    rows.put(["a", "b", "c"], [10, 11, 12])
    assert rows.ids_at([12, 10, 99]) == ({12: "c", 10: "a"}, [99])
    rows.put(["b"], [20])  # b was rewritten elsewhere: its old position names nothing now
    assert rows.ids_at([11, 20]) == ({20: "b"}, [11])
    assert rows.split(["b", "z"]) == ({"b": 20}, ["z"])
    assert rows.rows_of(["c", "z", "b"]) == [12, None, 20]
    rows.drop(["a", "missing"])
    assert rows.ids_at([10, 12]) == ({12: "c"}, [10]) and len(rows) == 2
    rows.replace(["c"], [30])  # after a compaction every row has a new position
    assert rows.ids_at([12, 20, 30]) == ({30: "c"}, [12, 20])
