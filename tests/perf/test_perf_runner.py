"""The runner with tiny fake benchmarks: the JSON record, verdicts, saving and exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from pajamas.config import Settings
from pajamas.perf import ipc_control, runner
from pajamas.perf.benchmark import Context, Measurement, NotRun
from pajamas.perf.benchmarks import maintenance, memory, memory_scale
from pajamas.perf.budgets import Budgets, Target
from pajamas.perf.registry import Registry, all_benchmarks

SOURCE = "test"
RUN_KEYS = {"schema", "run_id", "started_at", "finished_at", "suite", "scale", "repeat",
            "budgets", "machine", "calibration", "ipc", "benchmarks"}
MACHINE_KEYS = {"os", "os_release", "cpu_model", "cores", "memory_bytes", "python",
                "hub_version", "commit", "hostname"}
BENCH_KEYS = {"name", "group", "unit", "better", "description", "samples", "warmup_samples",
              "repeats", "n", "median", "p95", "p99", "mean", "stdev", "min", "max",
              "ratio_to_calibration", "target", "targets", "passed", "extra", "duration_s",
              "error", "not_run"}


def counting(ctx: Context) -> Measurement:
    """Samples 1..n, where n is 1,000 scaled by the run."""
    assert ctx.workdir.is_dir()
    return Measurement([float(v) for v in range(1, ctx.count(1_000) + 1)], extra={"note": 1.0})


def broken(ctx: Context) -> Measurement:
    """A benchmark that fails."""
    raise RuntimeError("the fixture broke")


def needs_data(ctx: Context) -> Measurement:
    """A benchmark that needs data no setting names here."""
    if not ctx.settings.locomo_path:
        raise NotRun("needs data: set locomo_path")
    return Measurement([1.0])


def registry(*, with_broken: bool = False, with_not_run: bool = False) -> Registry:
    reg = Registry()
    reg.benchmark(name="fake.count", unit="ms")(counting)
    if with_broken:
        reg.benchmark(name="fake.broken", unit="ms")(broken)
    if with_not_run:
        reg.benchmark(name="fake.data", unit="ms")(needs_data)
    return reg


def budgets(p50_bound: float = 1_000) -> Budgets:
    one = (Target("p50", "<=", 1, SOURCE),)
    return Budgets({"fake.count": (Target("p50", "<=", p50_bound, SOURCE),
                                   Target("max", ">=", 1, SOURCE)),
                    "fake.broken": one, "fake.data": one})


def home_budgets(home: Path, p50_bound: float = 1_000) -> None:
    """A budgets file under home over the shipped one, for the fake benchmarks."""
    (home / "perf").mkdir(parents=True, exist_ok=True)
    entry = '[["{}"]]\nstat = "{}"\nop = "{}"\nvalue = {}\nreason = "test"\n'
    (home / "perf" / "budgets.toml").write_text(
        entry.format("fake.count", "p50", "<=", p50_bound) + entry.format("fake.count", "max",
                                                                           ">=", 1)
        + entry.format("fake.broken", "p50", "<=", 1) + entry.format("fake.data", "p50", "<=", 1),
        encoding="utf-8")


def cli(tmp_path: Path, p50_bound: float = 1_000, **kwargs: Any) -> tuple[int, str]:
    out = io.StringIO()
    home_budgets(tmp_path / "home", p50_bound)
    code = runner.run_cli(kwargs.pop("only", None), kwargs.pop("json_path", None),
                          home=tmp_path / "home", out=out, scale=0.05, bar=False, **kwargs)
    return code, out.getvalue()


def test_the_record_has_the_schema_and_the_scaled_samples() -> None:
    record = runner.run(scale=0.05, registry=registry(), budgets=budgets())
    assert set(record) == RUN_KEYS and record["schema"] == 3 and record["scale"] == 0.05
    assert set(record["machine"]) == MACHINE_KEYS and record["machine"]["cores"]
    assert record["calibration"]["unit"] == "ms" and record["calibration"]["median"] > 0
    (bench,) = record["benchmarks"]
    assert set(bench) == BENCH_KEYS
    assert bench["n"] == len(bench["samples"]) == 50
    assert bench["median"] == 25.5 and bench["min"] == 1.0 and bench["max"] == 50.0
    assert bench["ratio_to_calibration"] == pytest.approx(25.5 / record["calibration"]["median"])
    assert bench["extra"] == {"note": 1.0} and bench["error"] is None


def test_every_target_is_evaluated_against_its_statistic() -> None:
    (bench,) = runner.run(scale=0.05, registry=registry(), budgets=budgets(20))["benchmarks"]
    assert bench["target"] == {"stat": "p50", "op": "<=", "value": 20, "source": SOURCE}
    p50, maximum = bench["targets"]
    assert (p50["observed"], p50["passed"]) == (25.5, False)
    assert (maximum["observed"], maximum["passed"]) == (50.0, True)
    assert bench["passed"] is False


def test_a_passing_run_exits_0_and_is_saved_and_written(tmp_path: Path) -> None:
    json_path = tmp_path / "out" / "run.json"
    code, out = cli(tmp_path, registry=registry(), json_path=json_path)
    written = json.loads(json_path.read_text(encoding="utf-8"))
    saved = tmp_path / "home" / "perf" / "runs" / f"{written['run_id']}.json"
    assert code == 0
    assert json.loads(saved.read_text(encoding="utf-8")) == written
    assert "fake.count" in out and "pass" in out and str(saved) in out


def test_a_failed_target_exits_1_and_says_which(tmp_path: Path) -> None:
    code, out = cli(tmp_path, p50_bound=20, registry=registry())
    assert code == 1
    assert "FAIL fake.count: p50 = 25.5 ms, budget p50 ≤ 20 ms: 28% over (test)" in out


def test_a_broken_benchmark_is_recorded_and_the_others_still_run(tmp_path: Path) -> None:
    json_path = tmp_path / "run.json"
    code, out = cli(tmp_path, registry=registry(with_broken=True), json_path=json_path)
    good, bad = json.loads(json_path.read_text(encoding="utf-8"))["benchmarks"]
    assert code == 2
    assert good["passed"] is True and good["n"] == 50
    assert bad["error"] == "RuntimeError: the fixture broke" and bad["passed"] is None
    assert bad["samples"] == [] and "ERROR fake.broken" in out


def test_a_benchmark_that_cannot_run_here_is_not_run_says_why_and_fails_nothing(
        tmp_path: Path) -> None:
    json_path = tmp_path / "run.json"
    code, out = cli(tmp_path, registry=registry(with_not_run=True), json_path=json_path)
    _, left = json.loads(json_path.read_text(encoding="utf-8"))["benchmarks"]
    assert code == 0
    assert left["not_run"] == "needs data: set locomo_path" and left["error"] is None
    assert left["passed"] is None and left["samples"] == []
    assert out.count("unsupported here fake.data: needs data: set locomo_path") == 1
    assert "ERROR" not in out and "FAIL" not in out


def test_the_settings_reach_the_benchmarks(tmp_path: Path) -> None:
    settings = Settings(locomo_path=str(tmp_path / "any"))
    (_, ran) = runner.run(scale=0.05, registry=registry(with_not_run=True),
                          settings=settings, budgets=budgets())["benchmarks"]
    assert ran["not_run"] is None and ran["n"] == 1


class ModelReached(Exception):
    """Stands in for the model export and the core: a benchmark got past choosing its texts."""


def test_only_memory_recall_needs_locomo_and_is_not_run_without_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """memory.recall says so at once; every other memory benchmark takes the synthetic corpus
    and goes on to the model (tests/perf/test_memory_benchmarks.py runs some for real)."""

    def reached(*args: object) -> None:
        raise ModelReached

    for module in (memory, memory_scale, maintenance):
        for name in ("memory_core", "model_folder"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, reached)
    names = [b.name for b in all_benchmarks() if b.name.startswith("memory.")]
    record = runner.run(names, scale=0.01)
    (recall,) = [b for b in record["benchmarks"] if b["name"] == "memory.recall"]
    assert recall["not_run"] is not None and "set locomo_path" in recall["not_run"]
    assert recall["duration_s"] < 5
    others = [b for b in record["benchmarks"] if b is not recall]
    assert len(others) == len(names) - 1 >= 10
    for bench in others:
        assert bench["not_run"] is None and bench["error"] == "ModelReached: ", bench


def test_the_report_says_which_corpus_the_figures_are_of(tmp_path: Path) -> None:
    reg = Registry()
    for name in ("fake.add", "fake.search"):
        reg.benchmark(name=name, unit="ms")(
            lambda ctx: Measurement([1.0, 2.0], extra={"corpus": "synthetic", "memories": 5}))
    code, out = cli(tmp_path, registry=reg, json_path=tmp_path / "run.json")
    assert code == 0
    assert "synthetic corpus (compare with runs on it alone): fake.add, fake.search" in out
    record = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert record["benchmarks"][0]["extra"] == {"corpus": "synthetic", "memories": 5}


def test_a_locomo_path_that_names_no_file_is_an_error(tmp_path: Path) -> None:
    settings = Settings(locomo_path=str(tmp_path / "missing.json"))
    (bench,) = runner.run(["memory.recall"], scale=0.01, settings=settings)["benchmarks"]
    assert bench["error"] is not None and "locomo_path" in bench["error"]


def test_only_runs_the_chosen_benchmarks(tmp_path: Path) -> None:
    json_path = tmp_path / "run.json"
    cli(tmp_path, registry=registry(with_broken=True), only=["fake.count"], json_path=json_path)
    record = json.loads(json_path.read_text(encoding="utf-8"))
    assert [b["name"] for b in record["benchmarks"]] == ["fake.count"]


def test_an_unknown_name_exits_2_listing_the_known_ones(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = cli(tmp_path, registry=registry(), only=["nope"])
    err = capsys.readouterr().err
    assert code == 2
    assert "'nope'" in err and "known benchmarks: fake.count" in err
    assert not (tmp_path / "home" / "perf" / "runs").exists()


def test_an_empty_registry_runs_nothing() -> None:
    record = runner.run(scale=0.05, registry=Registry())
    assert record["benchmarks"] == [] and runner.exit_code(record) == 0


def test_scale_must_be_positive() -> None:
    with pytest.raises(ValueError, match="scale"):
        runner.run(scale=0, registry=registry())


def test_repetitions_run_in_rounds_so_each_meets_the_machine_at_another_moment() -> None:
    order: list[str] = []
    reg = Registry()
    for name in ("fake.a", "fake.b"):
        def one(ctx: Context, name: str = name) -> Measurement:
            order.append(name)
            return Measurement([float(len(order))] * ctx.count(100))
        reg.benchmark(name=name, unit="ms")(one)
    record = runner.run(scale=0.05, registry=reg, budgets=budgets(), repeat=3)
    assert order == ["fake.a", "fake.b"] * 3  # round after round, not a's three then b's
    first, second = record["benchmarks"]
    assert first["repeats"] == second["repeats"] == [5, 5, 5]
    assert first["samples"] == [1.0] * 5 + [3.0] * 5 + [5.0] * 5
    assert record["calibration"]["n"] == 3 * 5  # every round timed the loop again
    # ...and the inter-process control, before each round and once more at the end
    ipc = record["ipc"]
    assert ipc["name"] == "pipe_round_trip" and ipc["unit"] == "µs"
    assert len(ipc["rounds"]) == 4 and all(r > 0 for r in ipc["rounds"])
    assert ipc["n"] == 4 * ipc_control.TRIPS
    assert min(ipc["rounds"]) <= ipc["median"] <= max(ipc["rounds"])


def test_a_repetition_that_breaks_stops_that_benchmark_alone() -> None:
    calls = {"flaky": 0, "steady": 0}

    def flaky(ctx: Context) -> Measurement:
        calls["flaky"] += 1
        if calls["flaky"] == 2:
            raise RuntimeError("broke in round 2")
        return Measurement([1.0, 2.0])

    def steady(ctx: Context) -> Measurement:
        calls["steady"] += 1
        return Measurement([1.0, 2.0])

    reg = Registry()
    reg.benchmark(name="fake.flaky", unit="ms")(flaky)
    reg.benchmark(name="fake.steady", unit="ms")(steady)
    record = runner.run(scale=0.05, registry=reg, budgets=budgets(), repeat=4)
    broke, held = record["benchmarks"]
    assert calls == {"flaky": 2, "steady": 4}
    assert broke["error"] == "RuntimeError: broke in round 2" and broke["samples"] == []
    assert held["error"] is None and held["repeats"] == [2, 2, 2, 2]
