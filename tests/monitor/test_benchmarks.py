"""The monitor's benchmarks at a small scale: they run for real and record their figures.

What they measure is for `pajamas perf run`; here only that they measure it.
"""

from __future__ import annotations

from pajamas.perf import runner

SCALE = 0.02


def test_overhead_soak_and_stages_record_their_figures() -> None:
    record = runner.run(["monitor.overhead", "soak", "startup.all_stages"], scale=SCALE)
    overhead, soak, stages = record["benchmarks"]
    assert overhead["error"] is None and overhead["n"] == 3
    assert overhead["extra"]["processes"] == 31 and all(s > 0 for s in overhead["samples"])
    assert soak["error"] is None and soak["n"] == 4 and soak["extra"]["requests"] == 2_400
    assert soak["extra"]["methods_in_mix"] >= 8 and soak["extra"]["rss_end_mb"] > 0
    assert stages["error"] is None and stages["n"] == 2
    assert {"rpc_ms", "monitor_ms", "tasks_ms"} <= set(stages["extra"])
    assert all(total >= stages["extra"]["monitor_ms"] for total in stages["samples"])


def test_leak_benchmarks_flag_the_grower_and_not_the_flat_process() -> None:
    record = runner.run(["monitor.leak_detect", "monitor.leak_false_alarms"], scale=SCALE)
    detect, false_alarms = record["benchmarks"]
    assert detect["error"] is None and detect["extra"]["missed"] == 0
    assert detect["passed"] is True and max(detect["samples"]) <= 300
    assert false_alarms["error"] is None and false_alarms["samples"] == [0.0, 0.0]
