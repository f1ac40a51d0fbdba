"""Budgets: the shipped file, its reasons, the home's override, and malformed files refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from pajamas.errors import ConfigError
from pajamas.perf import budgets
from pajamas.perf.budgets import Target
from pajamas.perf.registry import all_benchmarks

ENTRY = '[["{name}"]]\nstat = "{stat}"\nop = "{op}"\nvalue = {value}\nreason = "{reason}"\n'


def write_home_budgets(home: Path, text: str) -> None:
    (home / "perf").mkdir(parents=True, exist_ok=True)
    (home / "perf" / "budgets.toml").write_text(text, encoding="utf-8")


def test_every_shipped_budget_names_a_benchmark_says_why_and_points_its_way() -> None:
    shipped = budgets.load()
    benches = {b.name: b for b in all_benchmarks()}
    assert set(shipped.targets) <= set(benches), "a budget names no registered benchmark"
    assert len(shipped.targets) >= 39
    for name, targets in shipped.targets.items():
        assert targets, name
        for target in targets:
            assert len(target.source) > 20, (name, target.source)
            # A rate ("higher" is better) is bounded from below, a cost from above.
            assert (target.op == ">=") == (benches[name].better == "higher"), name


def test_the_shipped_file_is_package_data_with_the_first_target_primary() -> None:
    text = budgets.shipped_text()
    assert '[["rpc.roundtrip"]]' in text and "issue" not in text.lower()
    roundtrip = budgets.load().of("rpc.roundtrip")
    assert [(t.stat, t.op, t.value) for t in roundtrip] == [("p50", "<=", 150),
                                                            ("p99", "<=", 1000)]
    assert budgets.load().of("no.such") == ()


def test_the_homes_file_replaces_a_benchmarks_entries_and_may_remove_them(
        tmp_path: Path) -> None:
    # A key set to [] must come before the first table, or TOML puts it in that table.
    write_home_budgets(tmp_path, '"rpc.throughput" = []\n' + ENTRY.format(
        name="rpc.roundtrip", stat="p95", op="<=", value=300, reason="a slower machine here"))
    held = budgets.load(tmp_path)
    assert held.of("rpc.roundtrip") == (Target("p95", "<=", 300, "a slower machine here"),)
    assert held.of("rpc.throughput") == ()
    assert held.of("cache.hot_get") == budgets.load().of("cache.hot_get")
    assert held.files == ("package:budgets.toml", str(tmp_path / "perf" / "budgets.toml"))
    assert held.describe("rpc.roundtrip", "µs") == "p95 ≤ 300 µs (a slower machine here)"
    assert held.describe("rpc.throughput", "pings/s") == "no budget"


def test_a_benchmark_may_have_its_own_comparison_threshold_with_a_reason(
        tmp_path: Path) -> None:
    shipped = budgets.load()
    benches = {b.name for b in all_benchmarks()}
    assert set(shipped.thresholds) <= benches, "a threshold names no registered benchmark"
    for name, own in shipped.thresholds.items():
        assert 1.1 < own.ratio <= 10 and len(own.reason) > 20, name
    write_home_budgets(tmp_path, '[compare."rpc.roundtrip"]\nthreshold = 1.3\n'
                                 'reason = "this laptop throttles"\n')
    held = budgets.load(tmp_path)
    assert held.thresholds["rpc.roundtrip"] == budgets.Threshold(1.3, "this laptop throttles")
    assert held.ratios() == {**shipped.ratios(), "rpc.roundtrip": 1.3}
    assert held.of("rpc.roundtrip") == shipped.of("rpc.roundtrip")  # the targets stand


@pytest.mark.parametrize(("text", "words"), [
    ("[[x.y", "not valid TOML"),
    ('compare = 3\n', "must be a table"),
    ('[compare."a.b"]\nthreshold = 1.3\n', "exactly the keys"),
    ('[compare."a.b"]\nthreshold = 0.9\nreason = "a fine reason"\n', "a ratio above 1"),
    ('[compare."a.b"]\nthreshold = true\nreason = "a fine reason"\n', "a ratio above 1"),
    ('[compare."a.b"]\nthreshold = 1.5\nreason = "see #13"\n', "citing no issue number"),
    ('"rpc.roundtrip" = 3\n', "must be a list"),
    ('[["a.b"]]\nstat = "p50"\nop = "<="\nvalue = 1\n', "exactly the keys"),
    (ENTRY.format(name="a.b", stat="p50", op="<=", value=1, reason=""), "needs a reason"),
    (ENTRY.format(name="a.b", stat="p50", op="<=", value=1, reason="see issue 13"),
     "citing no issue number"),
    (ENTRY.format(name="a.b", stat="p50", op="<=", value=1, reason="as in #12"),
     "citing no issue number"),
    (ENTRY.format(name="a.b", stat="p42", op="<=", value=1, reason="a fine reason"),
     "unknown statistic"),
    (ENTRY.format(name="a.b", stat="p50", op="<", value=1, reason="a fine reason"), "op"),
    (ENTRY.format(name="a.b", stat="p50", op="<=", value='"1"', reason="a fine reason"),
     "give a number"),
])
def test_a_malformed_budgets_file_is_refused_naming_it(tmp_path: Path, text: str,
                                                       words: str) -> None:
    write_home_budgets(tmp_path, text)
    with pytest.raises(ConfigError, match=words) as caught:
        budgets.load(tmp_path)
    assert str(tmp_path / "perf" / "budgets.toml") in caught.value.message
