"""The plugin benchmarks' set-up: their packaged plugins are valid and staged as asked.

Running them is `pajamas perf run --only plugin`; these tests only check what they stand on.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from pajamas.perf import budgets, runner
from pajamas.perf.benchmarks import plugins as bench
from pajamas.perf.plugin_fixtures import HOSTILE, NOOP, SOURCES, stage
from pajamas.perf.registry import all_benchmarks
from pajamas.plugins import manifest
from pajamas.plugins.manifest import Quotas


@pytest.mark.parametrize("source", [NOOP, HOSTILE])
def test_each_packaged_plugin_is_valid_and_defines_what_it_declares(source: str) -> None:
    folder = SOURCES / source
    found = manifest.parse((folder / manifest.FILENAME).read_text(encoding="utf-8"), Quotas())
    assert found.name == source
    spec = importlib.util.spec_from_file_location(f"bench_{source}", folder / found.entry)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert all(callable(getattr(module, name, None)) for name in found.functions)


def test_the_hostile_plugin_breaches_the_quotas_the_benchmarks_assume() -> None:
    text = (SOURCES / HOSTILE / manifest.FILENAME).read_text(encoding="utf-8")
    quotas = manifest.parse(text, Quotas()).quotas
    assert (quotas.memory_mb, quotas.cpu_s, quotas.wall_s) == (64, 1, 10)
    assert set(bench.ATTACKS) <= set(manifest.parse(text, Quotas()).functions)


def test_stage_copies_a_plugin_under_a_new_name(tmp_path: Path) -> None:
    staged = stage(tmp_path, NOOP, "bench-noop-2")
    found = manifest.parse((staged / manifest.FILENAME).read_text(encoding="utf-8"), Quotas())
    assert found.name == "bench-noop-2" and found.version == "1.0.0"
    assert sorted(p.name for p in staged.iterdir()) == ["bench_noop.py", "plugin.toml"]
    assert stage(tmp_path, NOOP).name == NOOP


def test_every_plugin_benchmark_is_registered_with_a_budget() -> None:
    names = {b.name: b for b in all_benchmarks() if b.name.startswith("plugin.")}
    assert set(names) == {"plugin.list", "plugin.call_overhead", "plugin.spawn",
                          "plugin.kill_latency.memory", "plugin.kill_latency.cpu",
                          "plugin.kill_latency.time", "plugin.attack_ping", "plugin.hosts_rss"}
    held = budgets.load()
    assert held.describe("plugin.call_overhead", "ms").startswith(
        "p50 ≤ 1 ms (the sandbox must cost little next to the work")
    assert held.of("plugin.attack_ping")[0].stat == "p99"


def test_the_call_and_time_kill_benchmarks_run_for_real() -> None:
    record = runner.run(["plugin.call_overhead", "plugin.kill_latency.time"], scale=0.02)
    overhead, killed = record["benchmarks"]
    assert overhead["error"] is None and overhead["n"] == 50, overhead["error"]
    assert overhead["extra"]["ping_median_ms"] > 0
    assert killed["error"] is None and killed["n"] == 3, killed["error"]
    assert killed["extra"] == {"timeout_s": 1.0}
    assert all(sample >= 0 for sample in killed["samples"])  # never stopped before 1 s
