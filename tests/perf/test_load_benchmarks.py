"""The load benchmarks at a tiny scale through the real runner, and an overloaded core's
behaviour: busy answers, one reply per request, pings, and normal service afterwards.

What they record and how the core behaves, never how fast anything was.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from pajamas.perf import budgets, runner
from pajamas.perf.benchmark import Context
from pajamas.perf.benchmarks.load import _gauge_growth, segments
from pajamas.perf.benchmarks.memory import memory_core, texts
from pajamas.perf.load_fleet import PLUGIN, Fleet, build_fleet
from pajamas.perf.overload import OverloadReport, overload
from pajamas.perf.registry import all_benchmarks
from pajamas.rpc.client import Client

pytestmark = pytest.mark.timeout(900)
NAMES = {"load.mixed", "load.mixed_errors", "load.mixed_rss", "load.overload",
         "load.overload_ping", "load.overload_recovery"}
METHODS = ("memory.search", "memory.add", "plugin.call", "chat.prompt")
# One worker and room for 4 waiting requests: the burst is sure to overflow it.
TIGHT = {"PAJAMAS_WORKERS": "1", "PAJAMAS_MAX_PENDING_REQUESTS": "4"}


def test_gauge_growth_leaves_out_the_readings_a_busy_core_shed() -> None:
    readings: list[tuple[int, dict[str, float | None]]] = [
        (0, {}), (10, {"rows": 1.0, "mb": None}), (20, {}), (30, {"rows": 4.0, "mb": 2.0}),
        (40, {})]
    assert _gauge_growth(readings) == {"grew.rows": 3.0}  # mb was not read at the start
    assert _gauge_growth(readings[:3]) == {}


def test_the_rss_segments_leave_no_short_tail() -> None:
    assert [len(s) for s in segments(list(range(4_003)))] == [1_000, 1_000, 1_000, 1_003]
    assert [len(s) for s in segments(list(range(13)))] == [3, 3, 3, 4]
    assert [len(s) for s in segments(list(range(7)))] == [3, 4]


def test_every_load_benchmark_is_registered_and_the_bounded_figures_have_budgets() -> None:
    found = {b.name for b in all_benchmarks() if b.name.startswith("load.")}
    assert found == NAMES
    shipped = budgets.load()
    assert not shipped.of("load.mixed")  # throughput depends on the machine: recorded only
    assert all(shipped.of(name) for name in NAMES - {"load.mixed"})
    assert [(t.stat, t.value) for t in shipped.of("load.mixed_errors")] == [("max", 0)]
    assert [(t.stat, t.value) for t in shipped.of("load.overload")] == [("p99", 5)]


def test_the_load_benchmarks_run_for_real_and_report_their_figures() -> None:
    record = runner.run(["load"], scale=0.01)
    by_name = {b["name"]: b for b in record["benchmarks"]}
    assert set(by_name) == NAMES
    for bench in by_name.values():
        assert bench["error"] is None and bench["not_run"] is None, bench
        assert bench["n"] > 0, bench["name"]
    mixed = by_name["load.mixed"]["extra"]
    for method in METHODS:
        assert mixed[f"{method}.n"] > 0 and mixed[f"{method}.p99_ms"] >= mixed[f"{method}.p50_ms"]
    assert mixed["error_rate_pct"] == 0 and mixed["clients"] == 16 and mixed["personas"] == 2
    assert {"rss_slope_mb_per_10k", "rss_net_slope_mb_per_10k"} <= set(mixed)
    # The figures of one load: the others read the run load.mixed made.
    assert by_name["load.mixed_errors"]["extra"]["requests"] == mixed["requests"]
    rss = by_name["load.mixed_rss"]["extra"]
    assert rss["memories_added"] >= 0 and "grew.rss_mb" in rss
    assert {"grew.memory.cached_rows", "grew.memory.lancedb_cache_mb"} <= set(rss), rss
    over = by_name["load.overload"]["extra"]
    assert over["capacity_per_s"] > 0 and over["offered_per_s"] == 4 * over["capacity_per_s"]
    answered = sum(v for k, v in over.items() if k.startswith("replies."))  # type: ignore[misc]
    assert answered == over["sent"] and over["missing_replies"] == 0
    assert over["ping_errors"] == 0 and by_name["load.overload_ping"]["n"] == over["pings"]


@dataclass(frozen=True)
class Overloaded:
    """A core with one worker and room for 4 waiting requests, its 2 small personas, and
    what one overload of it saw."""

    client: Client
    fleet: Fleet
    report: OverloadReport


@pytest.fixture(scope="module")
def overloaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Overloaded]:
    workdir = tmp_path_factory.mktemp("overload")
    with memory_core(workdir, settings=TIGHT) as client:
        fleet = build_fleet(client, workdir / "home", texts(Context(workdir)), 2, 200)
        # As fast as one socket sends: a first read of hundreds overflows the 4 places at once.
        report = overload(client.info, fleet, clients=4, capacity_s=1.0, burst_s=0.2,
                          rate=100_000.0)
        yield Overloaded(client, fleet, report)


def test_an_overloaded_core_answers_busy_once_per_request_and_keeps_pinging(
        overloaded: Overloaded) -> None:
    report = overloaded.report
    codes = report.codes()
    assert codes["busy"] > 0, codes  # shed, not queued
    assert set(codes) <= {"ok", "busy"}, codes  # never internal, never timeout
    assert report.sent > 0 and report.missing == 0 and report.strays == 0
    assert set(report.replies.values()) == {1}  # exactly one reply to every request
    assert not report.ping_errors and report.pings_while_overloaded() > 0


def test_the_core_serves_every_kind_of_request_normally_after_an_overload(
        overloaded: Overloaded) -> None:
    client, fleet = overloaded.client, overloaded.fleet
    persona = fleet.personas[0]
    added = client.call("memory.add", {"persona": persona, "text": "After the storm, calm."})
    found = client.call("memory.search", {"persona": persona, "query": "after the storm"})
    assert added["id"] in {item["id"] for item in found["items"]}
    counted = client.call("plugin.call", {"persona": persona, "name": PLUGIN, "function": "count",
                                          "args": {"text": "Calm again. Fine."}})
    assert counted["result"] == {"words": 3, "sentences": 2}
    prompt = client.call("chat.prompt", {"conversation": fleet.conversations[0], "text": "hi"})
    assert prompt["tokens"] > 0
