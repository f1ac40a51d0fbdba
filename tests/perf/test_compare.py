"""Comparing runs: the U test, a planted regression found alone, the false-alarm rate, machines.

Samples are drawn from a noisy, skewed law like real timings (log-normal with a 5% tail of
slow outliers), seeded, so each test reads the same every time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pajamas.cli import main
from pajamas.perf import compare, inference

NAMES = ("rpc.roundtrip", "rpc.throughput", "cache.hot_get", "cache.warm_get", "memory.add",
         "memory.search", "plugin.spawn", "plugin.call_overhead", "monitor.overhead",
         "startup.core_ready", "shell.pool_shutdown", "cache.cold_get")
RATES = {"rpc.throughput"}


def noisy(rng: np.random.Generator, n: int, center: float = 100.0,
          sigma: float = 0.25) -> list[float]:
    """n timings around center: log-normal (sigma) with 5% outliers 2-4x slower."""
    values = center * rng.lognormal(0.0, sigma, n)
    slow = rng.random(n) < 0.05
    values[slow] *= rng.uniform(2, 4, int(slow.sum()))
    return [float(v) for v in values]


def run_of(run_id: str, samples: dict[str, list[float]], *, host: str = "here",
           calibration: float = 10.0, ipc: float | None = None) -> dict[str, Any]:
    """A run's record as the runner saves it, reduced to what a comparison reads (schema 2,
    or 3 with the inter-process control's median ipc)."""
    run = {"schema": 2, "run_id": run_id, "started_at": "2026-12-02T10:00:00Z",
           "finished_at": "2026-12-02T10:01:00Z", "suite": "quick", "scale": 0.2,
           "machine": {"hostname": host, "os": "Linux", "cpu_model": f"cpu of {host}",
                       "cores": 2, "python": "3.11"},
           "calibration": {"name": "cpu_loop", "unit": "ms", "median": calibration,
                           "p95": calibration, "n": 5},
           "benchmarks": [bench(name, values) for name, values in samples.items()]}
    if ipc is not None:
        run.update(schema=3, ipc={"name": "pipe_round_trip", "unit": "µs", "median": ipc,
                                  "rounds": [ipc] * 6, "n": 6000})
    return run


def bench(name: str, samples: list[float]) -> dict[str, Any]:
    return {"name": name, "unit": "pings/s" if name in RATES else "ms",
            "better": "higher" if name in RATES else "lower", "samples": samples,
            "n": len(samples), "median": float(np.median(samples)) if samples else None,
            "error": None, "not_run": None if samples else "needs a display", "passed": None,
            "targets": [], "target": None}


def suite_samples(seed: int, n: int = 60) -> dict[str, list[float]]:
    rng = np.random.default_rng(seed)
    return {name: noisy(rng, n, center=10.0 * (i + 1)) for i, name in enumerate(NAMES)}


@pytest.mark.parametrize("sizes", [(5, 7), (40, 60), (300, 250)])
def test_the_u_test_agrees_with_scipy(sizes: tuple[int, int]) -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(sum(sizes))
    a, b = np.round(noisy(rng, sizes[0]), 0), np.round(noisy(rng, sizes[1], 108.0), 0)
    a[0] = b[0]  # a tie: the approximation, even for small sets
    ours = inference.mann_whitney_u(list(a), list(b))
    theirs = stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic")
    assert ours.p == pytest.approx(theirs.pvalue, rel=1e-9)
    assert ours.u == max(theirs.statistic, sizes[0] * sizes[1] - theirs.statistic)


@pytest.mark.parametrize("sizes", [(5, 5), (6, 6), (3, 9), (8, 30)])
def test_the_u_test_of_small_sets_without_ties_is_exact(sizes: tuple[int, int]) -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(sum(sizes))
    for shift in (1.0, 1.2, 2.0):
        a, b = noisy(rng, sizes[0]), noisy(rng, sizes[1], 100.0 * shift)
        theirs = stats.mannwhitneyu(a, b, alternative="two-sided", method="exact")
        assert inference.mann_whitney_u(a, b).p == pytest.approx(theirs.pvalue, rel=1e-12)
    # 5 repetitions against 5 that do not overlap reject at p < 0.01 (2 / 252), 4 against 4 not
    assert inference.smallest_p(5, 5) == pytest.approx(2 / 252)
    assert inference.smallest_p(4, 4) > 0.01


def test_the_u_test_of_identical_values_rejects_nothing() -> None:
    assert inference.mann_whitney_u([3.0] * 10, [3.0] * 12).p == 1.0
    with pytest.raises(ValueError, match="at least one sample"):
        inference.mann_whitney_u([], [1.0])
    assert inference.smallest_p(2, 2) > 0.01 > inference.smallest_p(10, 10)


def test_the_interval_holds_the_true_ratio() -> None:
    rng = np.random.default_rng(3)
    base, new = noisy(rng, 200), [1.5 * v for v in noisy(rng, 200)]
    low, high = inference.ratio_interval(base, new)
    assert low < 1.5 < high and high - low < 0.4
    assert inference.ratio_interval(base, new) == (low, high)  # seeded: the same every time


def test_a_planted_regression_is_found_and_nothing_else() -> None:
    base = suite_samples(seed=1)
    new = suite_samples(seed=2)
    new["memory.search"] = [1.5 * v for v in new["memory.search"]]
    result = compare.compare(run_of("base", base), run_of("new", new))
    assert result["slower"] == ["memory.search"] and result["faster"] == []
    first = result["rows"][0]
    assert first["name"] == "memory.search" and first["verdict"] == "slower"
    assert first["ci_low"] is not None and first["ci_low"] < 1.5 < first["ci_high"]
    assert first["p_value"] is not None and first["p_value"] < 0.01
    assert not result["calibrated"] and compare.exit_code(result) == 1
    assert result["groups"]["memory"] > 1.1 > result["groups"]["cache"]


def test_a_rate_that_drops_is_slower_and_one_that_rises_is_faster() -> None:
    base, new = suite_samples(seed=5), suite_samples(seed=6)
    dropped = dict(new, **{"rpc.throughput": [v / 1.5 for v in new["rpc.throughput"]]})
    rose = dict(new, **{"rpc.throughput": [v * 1.5 for v in new["rpc.throughput"]]})
    assert compare.compare(run_of("a", base), run_of("b", dropped))["slower"] == [
        "rpc.throughput"]
    faster = compare.compare(run_of("a", base), run_of("b", rose))
    assert faster["faster"] == ["rpc.throughput"] and faster["slower"] == []
    assert compare.exit_code(faster) == 0


def test_a_thousand_pairs_from_one_distribution_give_at_most_one_percent_false_alarms() -> None:
    """Noise of 15% (log-normal sigma) plus 5% outliers 2-4x slower, 50 samples a side.

    Over 20,000 such pairs the U test alone rejects 0.9% at p < 0.01, as a test at 1% should,
    and the 1.1x threshold halves that (0.45%).  Noisier samples (sigma 0.25) make medians
    1.1x apart by chance often enough that the threshold stops helping: the rate is then
    the U test's own, just under 1%.
    """
    rng = np.random.default_rng(1000)
    alarms = 0
    for pair in range(1000):
        one = run_of(f"a{pair}", {"rpc.roundtrip": noisy(rng, 50, sigma=0.15)})
        two = run_of(f"b{pair}", {"rpc.roundtrip": noisy(rng, 50, sigma=0.15)})
        (row,) = compare.compare(one, two)["rows"]
        alarms += row["verdict"] != "same"
    assert alarms <= 10, f"{alarms} false alarms in 1,000 pairs"


def repeated(rng: np.random.Generator, repeats: int, n: int, center: float) -> list[float]:
    """repeats runs of n timings, each run shifted by its own conditions (a factor of ~12%)."""
    return [v for _ in range(repeats)
            for v in noisy(rng, n, center=center * float(rng.lognormal(0.0, 0.12)))]


def with_repeats(run: dict[str, Any], repeats: int) -> dict[str, Any]:
    for record in run["benchmarks"]:
        record["repeats"] = [len(record["samples"]) // repeats] * repeats
    return run


@pytest.mark.parametrize("repeats", [5, 6])
def test_repetitions_are_the_units_so_noise_between_runs_is_no_regression(repeats: int) -> None:
    """300 pairs of runs of the same code, each run shifted by its own conditions: read by
    repetition, at most 1% false alarms (the test's own rate; 0.4% and 0.9% over 2,000)."""
    pairs, flat_alarms, by_repetition_alarms = 300, 0, 0
    for seed in range(pairs):
        rng = np.random.default_rng(seed)
        base = {"memory.search": repeated(rng, repeats, 50, 100.0)}
        new = {"memory.search": repeated(rng, repeats, 50, 100.0)}
        # Read as 250 or 300 samples a side, the runs' own shifts look like real changes...
        flat = compare.compare(run_of("a", base), run_of("b", new))["rows"][0]
        if flat["verdict"] != "same":
            flat_alarms += 1
            assert "--repeat 5" in flat["note"]
        # ...read as repetitions, they are the noise they are.
        row = compare.compare(with_repeats(run_of("a", base), repeats),
                              with_repeats(run_of("b", new), repeats))["rows"][0]
        assert f"repetition medians ({repeats} and {repeats})" in row["note"]
        by_repetition_alarms += row["verdict"] != "same"
    assert flat_alarms >= pairs // 10, flat_alarms
    assert by_repetition_alarms <= pairs // 100, by_repetition_alarms


@pytest.mark.parametrize("repeats", [5, 6])
def test_a_planted_regression_is_found_between_repetitions_too(repeats: int) -> None:
    rng = np.random.default_rng(12)
    base = {"memory.search": repeated(rng, repeats, 50, 100.0),
            "cache.hot_get": repeated(rng, repeats, 50, 2.0)}
    new = {"memory.search": repeated(rng, repeats, 50, 150.0),
           "cache.hot_get": repeated(rng, repeats, 50, 2.0)}
    result = compare.compare(with_repeats(run_of("a", base), repeats),
                             with_repeats(run_of("b", new), repeats))
    assert result["slower"] == ["memory.search"] and result["faster"] == []


def test_a_benchmark_with_its_own_threshold_needs_that_ratio_to_be_slower() -> None:
    steady = [100.0 + k + i / 100 for k in range(5) for i in range(20)]  # 5 repetitions
    base = {"startup.core_ready": steady, "memory.search": steady}
    shifted = {name: [1.3 * v for v in values] for name, values in base.items()}
    one, two = with_repeats(run_of("a", base), 5), with_repeats(run_of("b", shifted), 5)
    plain = compare.compare(one, two)
    assert plain["slower"] == ["startup.core_ready", "memory.search"]
    own = compare.compare(one, two, thresholds={"startup.core_ready": 1.5})
    assert own["slower"] == ["memory.search"] and own["threshold"] == 1.1
    rows = {r["name"]: r for r in own["rows"]}
    assert rows["startup.core_ready"]["threshold"] == 1.5
    assert rows["startup.core_ready"]["verdict"] == "same"
    assert rows["startup.core_ready"]["p_value"] == pytest.approx(2 / 252)  # significant
    assert "own thresholds (budgets file): startup.core_ready 1.5x" in (
        compare.format_comparison(own))
    # A threshold given holds for every benchmark.
    strict = compare.compare(one, two, threshold=1.2, thresholds={"startup.core_ready": 1.5})
    assert strict["slower"] == ["startup.core_ready", "memory.search"]


def test_a_machine_that_moved_between_the_runs_holds_back_verdicts_in_its_direction() -> None:
    steady = [100.0 + k + i / 100 for k in range(5) for i in range(20)]  # 5 repetitions
    base = {"memory.search": steady, "rpc.roundtrip": steady, "cache.hot_get": steady}
    new = {"memory.search": [1.8 * v for v in steady], "rpc.roundtrip": steady,
           "cache.hot_get": [0.5 * v for v in steady]}

    def between(ipc_base: float | None, ipc_new: float | None) -> compare.Comparison:
        return compare.compare(with_repeats(run_of("a", base, ipc=ipc_base), 5),
                               with_repeats(run_of("b", new, ipc=ipc_new), 5))

    # The machine held (1.2x within 1.25x): the verdicts stand, and the comparison says so.
    held = between(20.0, 24.0)
    assert held["slower"] == ["memory.search"] and held["faster"] == ["cache.hot_get"]
    assert held["unsure"] == [] and held["ipc_ratio"] == pytest.approx(1.2)
    assert compare.exit_code(held) == 1
    assert "the machine held steady: its inter-process round trip moved 1.20x" in (
        compare.format_comparison(held))
    # Slower at waking processes (1.5x): "slower" is unsure, "faster" stands; exit 3, not 1.
    slow = between(20.0, 30.0)
    rows = {r["name"]: r for r in slow["rows"]}
    assert slow["slower"] == [] and slow["unsure"] == ["memory.search"]
    assert slow["faster"] == ["cache.hot_get"] and rows["rpc.roundtrip"]["verdict"] == "same"
    assert "slower by 1.80x, but the machine itself was 1.50x slower" in (
        rows["memory.search"]["note"])
    assert compare.exit_code(slow) == compare.EXIT_UNSURE == 3
    text = compare.format_comparison(slow)
    assert "the machine moved: its inter-process round trip was 1.50x" in text
    assert text.endswith("nothing slower; 1 unsure (the machine moved): memory.search")
    # Faster at it (0.5x): the mirror image; a regression still counts.
    quick = between(20.0, 10.0)
    assert quick["slower"] == ["memory.search"] and quick["unsure"] == ["cache.hot_get"]
    assert compare.exit_code(quick) == 1
    # A run without the control (schema 2) is compared as before, saying nothing of it.
    old = between(None, 30.0)
    assert old["ipc_ratio"] is None and old["slower"] == ["memory.search"]
    assert "inter-process" not in compare.format_comparison(old)


def test_runs_from_two_machines_compare_through_their_calibrations() -> None:
    base = suite_samples(seed=7)
    # A machine twice as slow: every figure and its calibration doubled (rates halved).
    slow = {name: [v * (0.5 if name in RATES else 2.0) for v in values]
            for name, values in suite_samples(seed=8).items()}
    result = compare.compare(run_of("here", base), run_of("there", slow, host="other",
                                                            calibration=20.0))
    assert result["calibrated"] and result["slower"] == []
    assert "two machines" in compare.format_comparison(result)
    raw = compare.compare(run_of("here", base), run_of("there", slow, calibration=20.0))
    assert not raw["calibrated"] and len(raw["slower"]) == len(NAMES)


def test_rows_without_samples_are_not_compared_and_say_why() -> None:
    base = suite_samples(seed=9)
    new = dict(suite_samples(seed=10), **{"plugin.spawn": []})
    new["cache.new_one"] = new.pop("cache.cold_get")
    rows = {r["name"]: r for r in compare.compare(run_of("a", base), run_of("b", new))["rows"]}
    assert rows["plugin.spawn"]["verdict"] == "not compared"
    assert "unsupported here in the new run: needs a display" in rows["plugin.spawn"]["note"]
    assert rows["cache.cold_get"]["note"] == "not in the new run"
    assert rows["cache.new_one"]["note"] == "not in the base run"


def test_too_few_samples_are_same_and_say_so() -> None:
    rows = compare.compare(run_of("a", {"startup.core_ready": [100.0, 101.0]}),
                           run_of("b", {"startup.core_ready": [300.0, 310.0]}))["rows"]
    assert rows[0]["verdict"] == "same" and "too few samples (2 and 2)" in rows[0]["note"]


def test_the_command_compares_json_files_and_exits_1_on_a_regression(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PAJAMAS_HOME", str(tmp_path / "home"))
    new = suite_samples(seed=12)
    new["cache.hot_get"] = [1.5 * v for v in new["cache.hot_get"]]
    files = []
    for name, samples in (("base", suite_samples(seed=11)), ("new", new)):
        files.append(tmp_path / f"{name}.json")
        files[-1].write_text(json.dumps(run_of(name, samples)), encoding="utf-8")
    code = main(["perf", "compare", str(files[0]), str(files[1]), "--json",
                 str(tmp_path / "cmp.json")])
    out = capsys.readouterr().out
    assert code == 1
    assert "1 slower: cache.hot_get" in out and "one machine: raw figures" in out
    assert out.index("cache.hot_get") < out.index("rpc.roundtrip")  # regressions first
    saved = json.loads((tmp_path / "cmp.json").read_text(encoding="utf-8"))
    assert saved["slower"] == ["cache.hot_get"]
    assert main(["perf", "compare", str(files[0]), str(files[0])]) == 0
