"""The suite's real benchmarks at a small scale: real cores in real subprocesses.

These check what the benchmarks record (sample counts, targets evaluated, the JSON written by
the command), never how fast anything was: timing belongs to `pajamas perf run`.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from pajamas.perf import runner
from tests.conftest import core_env

SCALE = 0.05


def test_rpc_roundtrip_runs_for_real_and_writes_its_json(tmp_path: Path) -> None:
    json_path = tmp_path / "run.json"
    code = runner.run_cli(["rpc.roundtrip"], json_path, scale=SCALE, home=tmp_path / "home",
                          out=io.StringIO())
    record = json.loads(json_path.read_text(encoding="utf-8"))
    (bench,) = record["benchmarks"]
    assert bench["error"] is None and bench["unit"] == "µs"
    assert bench["n"] == len(bench["samples"]) == 250
    assert all(s > 0 for s in bench["samples"])
    assert [t["stat"] for t in bench["targets"]] == ["p50", "p99"]
    for target in bench["targets"]:
        assert target["observed"] == bench[{"p50": "median"}.get(target["stat"], target["stat"])]
        assert target["passed"] == (target["observed"] <= target["value"])
    assert code == (0 if bench["passed"] else 1)


def test_throughput_and_startup_record_windows_and_starts() -> None:
    record = runner.run(["rpc.throughput", "startup.core_ready"], scale=SCALE)
    throughput, startup = record["benchmarks"]
    assert throughput["error"] is None and throughput["n"] == 3
    assert throughput["extra"]["in_flight"] == 64
    assert throughput["targets"][0]["op"] == ">="
    assert startup["error"] is None and startup["n"] == 2 and startup["extra"]["warmup_ms"] > 0


def test_busy_roundtrip_dead_core_and_stop_record_their_samples() -> None:
    names = ["rpc.roundtrip_busy", "rpc.dead_core_notice", "shutdown.core_stop"]
    record = runner.run(names, scale=SCALE)
    busy, notice, stop = record["benchmarks"]
    assert [b["error"] for b in record["benchmarks"]] == [None, None, None]
    assert busy["n"] == 250 and busy["extra"]["slow_calls"] >= 2
    assert notice["n"] == 3 and all(s > 0 for s in notice["samples"])
    assert stop["n"] == 2 and [t["stat"] for t in stop["targets"]] == ["p50", "p95"]


def test_the_window_side_benchmarks_record_their_samples() -> None:
    record = runner.run(["shell"], scale=SCALE)
    assert [(b["name"], b["error"], b["n"]) for b in record["benchmarks"]] == [
        ("shell.reconnect_call", None, 3), ("shell.pool_shutdown", None, 10)]


def test_the_command_lists_benchmarks_and_refuses_unknown_names(tmp_path: Path) -> None:
    env = core_env(tmp_path / "home")
    listing = subprocess.run([sys.executable, "-m", "pajamas", "perf", "list"], env=env,
                             capture_output=True, text=True, timeout=60)
    refused = subprocess.run([sys.executable, "-m", "pajamas", "perf", "run", "--only", "nope"],
                             env=env, capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0
    assert all(name in listing.stdout for name in ("rpc.roundtrip", "startup.core_ready"))
    assert refused.returncode == 2 and "'nope'" in refused.stderr
    assert "rpc.throughput" in refused.stderr
