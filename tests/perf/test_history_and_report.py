"""Suites, repetitions, the saved history and the HTML report, with tiny fake benchmarks.

This is the quick suite's machinery at a small scale: run twice, list, follow a benchmark over
the runs, compare, and write the report.  The report opens in real browsers in
tests/e2e/test_perf_report.py.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from pajamas.cli import main
from pajamas.errors import InvalidParams, NotFound
from pajamas.perf import history, html_report, record, runner, suites
from pajamas.perf.benchmark import Context, Measurement, NotRun
from pajamas.perf.budgets import Budgets, Target
from pajamas.perf.registry import Registry, all_benchmarks


def fake_registry(slow: float = 1.0) -> Registry:
    reg = Registry()

    @reg.benchmark(name="rpc.fake", unit="ms", warmup=2)
    def rpc_fake(ctx: Context) -> Measurement:
        "Counts, the first two as warm-up."
        return Measurement([100.0, 90.0] + [slow * (10 + v % 7) for v in range(ctx.count(400))])

    @reg.benchmark(name="cache.fake", unit="ops/s", better="higher")
    def cache_fake(ctx: Context) -> Measurement:
        "A rate."
        return Measurement([1000.0 + v % 11 for v in range(ctx.count(400))])

    @reg.benchmark(name="ui.fake", unit="ms")
    def ui_fake(ctx: Context) -> Measurement:
        "Needs a display."
        raise NotRun("no display here")

    return reg


BUDGETS = Budgets({"rpc.fake": (Target("p50", "<=", 14, "a fake bound"),)})


def test_every_benchmark_belongs_to_a_group_and_the_quick_suite_names_real_ones() -> None:
    names = [b.name for b in all_benchmarks()]
    assert [n for n in names if suites.group_of(n) == "other"] == []
    for pattern in suites.QUICK:
        assert any(suites.matches(n, pattern) for n in names), pattern
    with pytest.raises(NotFound, match="the suites are quick, full, rpc"):
        suites.suite("nope")


def test_a_suite_selects_its_benchmarks_and_a_group_its_prefixes() -> None:
    reg = fake_registry()
    assert [b.name for b in runner.plan("rpc", registry=reg).benchmarks] == ["rpc.fake"]
    assert [b.name for b in runner.plan("ui", registry=reg).benchmarks] == ["ui.fake"]
    quick = runner.plan("quick", budgets=BUDGETS)
    assert quick.scale == suites.QUICK_SCALE and len(quick.benchmarks) == len(suites.QUICK)
    assert quick.repeat == suites.QUICK_REPEAT == 5
    assert runner.plan("quick", budgets=BUDGETS, repeat=2).repeat == 2
    assert runner.plan("rpc", budgets=BUDGETS).repeat == 1
    with pytest.raises(NotFound, match="suite 'memory' has no benchmark"):
        runner.plan("memory", registry=reg)


def test_repetitions_pool_their_samples_and_keep_the_warm_up_apart() -> None:
    record = runner.run(registry=fake_registry(), scale=0.05, repeat=3, budgets=BUDGETS)
    fake, rate, display = record["benchmarks"]
    assert record["repeat"] == 3 and fake["repeats"] == [20, 20, 20] and fake["n"] == 60
    assert fake["warmup_samples"] == [100.0, 90.0] * 3 and max(fake["samples"]) < 20
    assert fake["passed"] is True and rate["passed"] is None and rate["better"] == "higher"
    assert display["not_run"] == "no display here" and display["group"] == "ui"


def two_runs(home: Path) -> list[str]:
    """Two real runs, the second's rpc.fake 1.5x slower.  Its inter-process control is made
    the first's: a real one moves with whatever else the machine does meanwhile, and a
    machine that moved would (rightly) make the slower verdict unsure."""
    ids = []
    for slow in (1.0, 1.5):
        code = runner.run_cli(None, None, scale=0.05, registry=fake_registry(slow), home=home,
                              out=io.StringIO(), bar=False)
        assert code == 0
        ids.append(history.runs(home, 0, 1)[0][0]["run_id"])
    first, second = (history.load(home, run_id) for run_id in ids)
    record.save_run(home, dict(second, ipc=first["ipc"]))  # type: ignore[arg-type]
    return ids


def test_runs_are_kept_listed_and_followed_over_time(tmp_path: Path) -> None:
    first, second = two_runs(tmp_path)
    items, total = history.runs(tmp_path)
    assert total == 2 and [i["run_id"] for i in items] == [second, first]
    assert items[0]["suite"] == "full" and items[0]["not_run"] == 1 and items[0]["host"]
    points = history.series(tmp_path, "rpc.fake")
    assert [p["run_id"] for p in points] == [first, second]
    assert points[1]["median"] == pytest.approx(1.5 * points[0]["median"])
    assert history.load(tmp_path, None)["run_id"] == second
    path = history.folder(tmp_path) / f"{first}.json"
    assert history.load(tmp_path, str(path), files=True)["run_id"] == first
    with pytest.raises(InvalidParams):
        history.load(tmp_path, str(path))  # the core's methods take run ids only
    assert history.expected_durations(tmp_path, ["rpc.fake"], 0.05, 2)["rpc.fake"] >= 0


def test_the_history_command_lists_runs_and_one_benchmark(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PAJAMAS_HOME", str(tmp_path))
    first, second = two_runs(tmp_path)
    capsys.readouterr()
    assert main(["perf", "history"]) == 0
    out = capsys.readouterr().out
    assert out.index(second) < out.index(first) and "1 unsupported" in out
    assert main(["perf", "history", "rpc.fake"]) == 0
    assert "rpc.fake over 2 runs" in capsys.readouterr().out
    assert main(["perf", "compare", first, second]) == 1
    assert "1 slower: rpc.fake" in capsys.readouterr().out


def test_the_report_is_one_file_with_everything_inline_and_regressions_first(
        tmp_path: Path) -> None:
    first, second = two_runs(tmp_path)
    run, base = history.load(tmp_path, second), history.load(tmp_path, first)
    page = html_report.render(run, base=base, past=history.iter_runs(tmp_path))
    assert re.search(r"""(src|href)=["']?(https?:)?//""", page) is None  # nothing to fetch
    assert "window.uPlot = uPlot" in page and ".uplot" in page
    assert page.index('data-bench="rpc.fake"') < page.index('data-bench="cache.fake"')
    assert 'data-compare="slower"' in page and "unsupported here" in page
    data = json.loads(re.search(r'id="perf-data">(.*?)</script>', page, re.S).group(1))
    fake = data["benchmarks"][0]
    assert fake["name"] == "rpc.fake" and len(fake["history"]) == 2
    assert len(fake["quantiles"]) == len(fake["base_quantiles"]) == 20
    assert "own threshold" not in page
    # A benchmark with its own threshold (the budgets file's) is judged by it, and says so.
    own = html_report.render(run, base=base, thresholds={"rpc.fake": 9.0})
    assert 'data-compare="slower"' not in own
    assert "its own threshold: 9&times;" in own and "rpc.fake 9\u00d7" in own
    # The inter-process control: in the header, and between the runs in the comparison.
    assert "<dt>Inter-process control</dt><dd>pipe_round_trip: median " in page
    assert re.search(r"The machine (held steady|moved): its inter-process round trip", page)
    # A machine that was twice as slow at it in the new run: the slower verdict is unsure.
    moved = dict(run, ipc=dict(run["ipc"], median=2.01 * base["ipc"]["median"]))
    unsure = html_report.render(moved, base=base)
    assert 'data-compare="unsure"' in unsure and 'data-compare="slower"' not in unsure
    # An unsure row comes with the regressions, before rows that merely pass.
    halved = [dict(b, samples=[v / 2 for v in b["samples"]]) if b["name"] == "cache.fake"
              else b for b in base["benchmarks"]]
    rate_moved = html_report.render(dict(moved, benchmarks=halved), base=base)
    assert rate_moved.index('data-bench="cache.fake"') < rate_moved.index('data-bench="rpc.fake"')
    assert "Unsure (the machine moved): rpc.fake." in unsure
    assert "The machine moved: its inter-process round trip was 2.01x" in unsure


def test_the_report_escapes_what_a_run_says(tmp_path: Path) -> None:
    record = runner.run(registry=fake_registry(), scale=0.05, budgets=BUDGETS)
    record["benchmarks"][0]["description"] = "<script>alert(1)</script>"
    record["benchmarks"][0]["name"] = "rpc.</script><b>"
    page = html_report.render(dict(record))
    assert "<script>alert(1)" not in page and "</script><b>" not in page


def test_the_report_command_writes_the_file(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAJAMAS_HOME", str(tmp_path))
    first, second = two_runs(tmp_path)
    out = tmp_path / "report.html"
    assert main(["perf", "report", second, "--compare", first, "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
