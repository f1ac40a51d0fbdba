"""The chaos table of a perf report: one row per chaos.* benchmark, from its extra figures."""

from __future__ import annotations

from typing import Any

from pajamas.perf import chaos_table, html_report, report
from pajamas.perf.faults.outcome import Outcome, measurement


def record(name: str, outcomes: list[Outcome], **more: Any) -> dict[str, Any]:
    found = measurement(outcomes)
    return {"name": name, "samples": found.samples, "extra": dict(found.extra), "error": None,
            "not_run": None, **more}


def test_each_chaos_benchmark_is_a_row_of_fault_survived_acknowledged_lost_recovery() -> None:
    whole = Outcome("kill -9 of the core during a backup", acknowledged=40, recovery_s=2.5)
    broken = Outcome("a disk fills up", acknowledged=7, lost=2, recovery_s=1.0)
    benches = [record("chaos.kill_core_backup", [whole, whole]),
               record("chaos_disk.full", [broken]),  # not a chaos. name: no row
               record("chaos.disk_full", [broken, whole]),
               record("chaos.crashes", [], error="boom"),
               record("rpc.roundtrip", [whole])]
    assert chaos_table.rows(benches) == [
        ("kill -9 of the core during a backup", "yes", "80", "0", "2.50"),
        ("a disk fills up", "NO", "47", "2", "2.50"),
        ("chaos.crashes", "ERROR", "-", "-", "-")]
    lines = report._chaos(benches)  # type: ignore[arg-type]
    assert lines[2].split() == ["fault", "survived", "acknowledged", "lost", "recovery", "s"]
    assert "a disk fills up" in lines[4] and " NO " in lines[4]
    page = html_report._chaos(benches)
    assert 'data-testid="chaos-table"' in page and '<span class="pill bad">NO</span>' in page
    assert report._chaos([b for b in benches if b["name"] == "rpc.roundtrip"]) == []  # type: ignore[arg-type]


def test_a_trial_with_a_problem_counts_as_a_write_lost() -> None:
    failed = Outcome("plugin host kill", acknowledged=3)
    failed.fail("the caller waited 3 s")
    found = measurement([failed, Outcome("plugin host kill", acknowledged=1, duplicated=1)])
    assert found.samples == [1.0, 1.0] and found.extra["survived"] == 0.0
