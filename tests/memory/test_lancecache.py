"""LanceCaches on a real LanceDB session: the size measured seldom, the count read each time."""

from __future__ import annotations

from pathlib import Path

import lancedb
import pyarrow as pa  # type: ignore[import-untyped]
from lancedb.index import FTS

from pajamas.memory.lancecache import MEASURE_EVERY_S, LanceCaches


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_size_is_measured_at_most_every_interval_and_the_count_each_time(
        tmp_path: Path) -> None:
    session = lancedb.Session(index_cache_size_bytes=8 << 20, metadata_cache_size_bytes=8 << 20)
    table = lancedb.connect(str(tmp_path), session=session).create_table(
        "t", pa.table({"text": [f"the keeper lit lamp number {n}" for n in range(200)]}))
    clock = Clock()
    caches = LanceCaches(session, 16 << 20, clock=clock)
    first = caches.figures()
    assert first["limit"] == 16 << 20 and first["bytes"] == session.size_bytes

    table.create_index("text", config=FTS(), replace=True)
    table.search("lamp", query_type="fts").limit(5).to_arrow()  # the index, read into the cache
    assert session.size_bytes > first["bytes"]

    clock.now = MEASURE_EVERY_S - 0.1
    soon = caches.figures()
    assert soon["bytes"] == first["bytes"]  # the last measure, not a new walk of the caches
    assert soon["items"] == session.approx_num_items > first["items"]

    clock.now = MEASURE_EVERY_S
    assert caches.figures()["bytes"] == session.size_bytes
