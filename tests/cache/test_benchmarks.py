"""The cache benchmarks at a tiny scale: what they record, never how fast anything was."""

from __future__ import annotations

from collections import OrderedDict

import pytest

from pajamas.perf import runner
from pajamas.perf.benchmarks.cache import lru_hits, zipf_trace

SCALE = 0.01


def test_the_latency_benchmarks_record_samples_and_floors() -> None:
    record = runner.run(["cache.hot_get", "cache.warm_get", "cache.cold_get"], scale=SCALE)
    hot, warm, cold = record["benchmarks"]
    for bench, floor in ((hot, "ordereddict_get_p50_us"), (warm, "diskcache_get_p50_us"),
                         (cold, "zstd_file_read_p50_us")):
        assert bench["error"] is None and bench["unit"] == "µs"
        assert bench["n"] >= 30 and bench["extra"][floor] > 0
        assert bench["targets"][0]["stat"] == "p50" and bench["targets"][0]["passed"] is not None
    assert cold["extra"]["value_bytes"] > 90_000 and cold["extra"]["compression_ratio"] > 2


def test_the_hit_rate_benchmarks_compare_with_lru_and_count_every_tier() -> None:
    record = runner.run(["cache.hit_rate", "cache.hit_rate_overall"], scale=SCALE)
    points, overall = record["benchmarks"]
    assert points["error"] is None and points["n"] == 10 and points["unit"] == "points"
    extra = points["extra"]
    assert points["mean"] == pytest.approx(extra["hot_hit_rate_pct"] - extra["lru_hit_rate_pct"])
    assert overall["error"] is None and overall["n"] == 10
    assert all(0 <= s <= 100 for s in overall["samples"])
    assert overall["extra"]["warm_hits"] > 0 and overall["extra"]["hot_demotions"] > 0


def test_the_trace_is_skewed_and_the_lru_counts_hits() -> None:
    trace = zipf_trace(20_000, 1_000, seed=7)
    top = max(set(trace), key=trace.count)
    assert len(set(trace)) < 1_000 and trace.count(top) > 20_000 / 1_000 * 20
    assert lru_hits(["a", "b", "a", "c", "b"], budget=20, size=10, lru=OrderedDict()) == 1
