"""kill -9 of plugin hosts mid-call: the caller gets plugin_failed, the next call runs in a
fresh host, and another persona's calls all succeed meanwhile (pajamas.perf.faults)."""

from __future__ import annotations

from pathlib import Path

from pajamas.perf.faults.plugin_kill import kill_hosts


def test_a_host_killed_mid_call_fails_its_caller_only_and_is_replaced(tmp_path: Path) -> None:
    outcomes = kill_hosts(tmp_path, trials=2, seed=3, detect_bound_s=None)
    for outcome in outcomes:
        outcome.check()
    assert sum(o.acknowledged for o in outcomes) > 2  # the bystander was answered too
