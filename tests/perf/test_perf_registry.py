"""Registering benchmarks (direction, warm-up), targets, and choosing what runs with --only."""

from __future__ import annotations

from pathlib import Path

import pytest

from pajamas.errors import Conflict, NotFound
from pajamas.perf.benchmark import Context, Measurement
from pajamas.perf.budgets import Target
from pajamas.perf.registry import Registry, all_benchmarks
from pajamas.perf.stats import summarize

SOURCE = "test"


def fake(ctx: Context) -> Measurement:
    """A benchmark that measures nothing."""
    return Measurement([1.0])


def registry_of(*names: str) -> Registry:
    registry = Registry()
    for name in names:
        registry.benchmark(name=name, unit="ms")(fake)
    return registry


def test_the_decorator_registers_name_unit_direction_and_docstring() -> None:
    registry = Registry()
    returned = registry.benchmark(name="x.one", unit="pings/s", better="higher", warmup=2)(fake)
    (bench,) = list(registry)
    assert returned is fake and bench.func is fake
    assert (bench.name, bench.unit, bench.description) == ("x.one", "pings/s", "A benchmark "
                                                           "that measures nothing.")
    assert (bench.better, bench.warmup) == ("higher", 2)
    assert registry.benchmark(name="x.two", unit="ms")(fake) is fake
    assert [(b.better, b.warmup) for b in registry][1] == ("lower", 0)


def test_names_are_unique_and_warmup_is_not_negative() -> None:
    registry = registry_of("x.one")
    with pytest.raises(Conflict, match="already registered"):
        registry.benchmark(name="x.one", unit="ms")(fake)
    with pytest.raises(ValueError, match="warmup"):
        registry.benchmark(name="x.two", unit="ms", warmup=-1)(fake)


@pytest.mark.parametrize(("only", "chosen"), [
    (None, ["rpc.roundtrip", "rpc.throughput", "startup.core_ready"]),
    (["rpc"], ["rpc.roundtrip", "rpc.throughput"]),
    (["rpc."], ["rpc.roundtrip", "rpc.throughput"]),
    (["startup.core_ready"], ["startup.core_ready"]),
    (["startup", "rpc.throughput"], ["rpc.throughput", "startup.core_ready"]),
    (["rpc", "rpc.roundtrip"], ["rpc.roundtrip", "rpc.throughput"]),
])
def test_only_selects_names_and_dotted_prefixes_in_suite_order(
        only: list[str] | None, chosen: list[str]) -> None:
    registry = registry_of("rpc.roundtrip", "rpc.throughput", "startup.core_ready")
    assert [b.name for b in registry.select(only)] == chosen


def test_an_unknown_name_lists_the_known_ones() -> None:
    registry = registry_of("rpc.roundtrip", "startup.core_ready")
    with pytest.raises(NotFound) as caught:
        registry.select(["rpc", "rp", "nope"])
    message = caught.value.message
    assert "'rp'" in message and "'nope'" in message and "'rpc'" not in message
    assert "rpc.roundtrip, startup.core_ready" in message


def test_targets_bound_costs_from_above_and_rates_from_below() -> None:
    cost, rate = Target("p95", "<=", 10, SOURCE), Target("median", ">=", 10, SOURCE)
    assert cost.holds(10) and not cost.holds(10.5)
    assert rate.holds(10) and not rate.holds(9.5)
    summary = summarize([float(v) for v in range(1, 101)])
    assert cost.observed(summary) == summary.p95 and rate.observed(summary) == 50.5
    assert rate.describe() == "median ≥ 10 (test)"


def test_targets_refuse_unknown_statistics_and_operators() -> None:
    with pytest.raises(ValueError, match="statistic"):
        Target("p42", "<=", 1, SOURCE)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="op"):
        Target("p50", "<", 1, SOURCE)  # type: ignore[arg-type]


def test_context_scales_counts_but_keeps_a_minimum(tmp_path: Path) -> None:
    ctx = Context(workdir=tmp_path, scale=0.05)
    assert ctx.count(5_000) == 250
    assert ctx.count(10, minimum=3) == 3


def test_the_suite_registers_the_hubs_benchmarks_and_no_code_holds_a_target() -> None:
    benches = {b.name: b for b in all_benchmarks()}
    assert {"rpc.roundtrip", "rpc.throughput", "startup.core_ready"} <= set(benches)
    assert benches["rpc.roundtrip"].unit == "µs"
    assert benches["rpc.throughput"].better == "higher"
    assert all(b.description for b in benches.values())
    assert not any(hasattr(b, "targets") for b in benches.values())
