"""The memory benchmarks at a tiny scale on a plain clone (no locomo_path): they run on the
synthetic corpus and say so.  What they record, never how fast anything was.

The model is exported once per machine (perf's own export, as the benchmarks use it), so the
first run here can take a minute or more.
"""

from __future__ import annotations

import time

import pytest

from pajamas.memory.dates import day
from pajamas.perf import runner
from pajamas.perf.benchmarks.memory import as_embedded
from pajamas.perf.record import BenchmarkRecord

SCALE = 0.01
pytestmark = pytest.mark.timeout(900)


def ran_on_synthetic(bench: BenchmarkRecord) -> None:
    assert bench["error"] is None and bench["not_run"] is None, bench
    assert bench["n"] > 0 and bench["extra"]["corpus"] == "synthetic", bench["name"]


def test_add_and_search_run_on_the_synthetic_corpus() -> None:
    record = runner.run(["memory.add", "memory.search"], scale=SCALE)
    add, search = record["benchmarks"]
    for bench in (add, search):
        ran_on_synthetic(bench)
    assert add["n"] == 20 and add["extra"]["onnx_one_p50_ms"] > 0
    assert search["n"] == 20 and search["extra"]["memories"] == 200


def test_the_floor_embeds_what_the_hub_embeds() -> None:
    said = ["Caroline: I went to the support group.", "Melanie: How was it?"]
    before = day(time.time())
    embedded = as_embedded(said)
    today = {before, day(time.time())}  # midnight may pass meanwhile
    assert [text.split("] ", 1)[1] for text in embedded] == said
    assert all(text[1:].split("] ", 1)[0] in today for text in embedded)


def test_consolidate_and_transfer_run_on_the_synthetic_corpus() -> None:
    record = runner.run(["memory.consolidate", "memory.transfer"], scale=SCALE)
    consolidate, transfer = record["benchmarks"]
    for bench in (consolidate, transfer):
        ran_on_synthetic(bench)
    assert consolidate["extra"]["memories"] == 210  # 200 turns and 10 upper-case duplicates
    assert consolidate["extra"]["merged"] >= 10
    assert transfer["extra"]["export_per_s"] > 0


def test_vector_recall_runs_on_the_synthetic_corpus() -> None:
    """30,000 rows around the synthetic turns' embeddings (made once per machine)."""
    (bench,) = runner.run(["memory.vector_recall_100k"], scale=SCALE)["benchmarks"]
    ran_on_synthetic(bench)
    assert bench["n"] == 30 and 0 <= bench["min"] <= bench["max"] <= 1  # type: ignore[operator]
