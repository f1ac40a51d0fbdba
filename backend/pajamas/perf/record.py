"""The JSON record of a run (schema 1), the machine it ran on, and where runs are saved.

A run is saved as `<home>/perf/runs/<run_id>.json`; run ids sort by start time.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypedDict

from pajamas import machine
from pajamas.perf.benchmark import Benchmark, Measurement, Target
from pajamas.perf.stats import Summary

SCHEMA: Final = 1
RUNS_DIR: Final = Path("perf") / "runs"


class MachineRecord(TypedDict):
    """The machine a run ran on."""

    os: str
    os_release: str
    cpu_model: str
    cores: int | None
    python: str
    commit: str | None
    hostname: str


class CalibrationRecord(TypedDict):
    """The calibration loop's figures in this run."""

    name: str
    unit: str
    median: float
    p95: float
    n: int


class TargetRecord(TypedDict):
    """A target as declared."""

    stat: str
    op: str
    value: float
    source: str


class TargetResult(TargetRecord):
    """A target with the observed figure and its verdict (None when the benchmark failed)."""

    observed: float | None
    passed: bool | None


class BenchmarkRecord(TypedDict):
    """One benchmark's samples, statistics and verdicts.

    `error` says why it failed to run (it raised); `not_run` why it was left out on purpose
    (it raised `NotRun`: say, a data set no setting names).
    """

    name: str
    unit: str
    description: str
    samples: list[float]
    n: int
    median: float | None
    p95: float | None
    p99: float | None
    mean: float | None
    stdev: float | None
    min: float | None
    max: float | None
    ratio_to_calibration: float | None
    target: TargetRecord
    targets: list[TargetResult]
    passed: bool | None
    extra: dict[str, float | str]
    duration_s: float
    error: str | None
    not_run: str | None


class RunRecord(TypedDict):
    """A whole run, as written to JSON."""

    schema: int
    run_id: str
    started_at: str
    finished_at: str
    scale: float
    machine: MachineRecord
    calibration: CalibrationRecord
    benchmarks: list[BenchmarkRecord]


def now_iso() -> str:
    """The current UTC time as ISO 8601 with microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_run_id() -> str:
    """A run id that sorts by start time: "20261122T013800Z-1a2b3c"."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def machine_record() -> MachineRecord:
    """The OS, CPU, Python, commit and host of this run."""
    return MachineRecord(os=platform.system(), os_release=platform.release(),
                         cpu_model=machine.cpu_model(), cores=os.cpu_count(),
                         python=platform.python_version(), commit=git_commit(),
                         hostname=platform.node())


def git_commit(where: Path | None = None) -> str | None:
    """The commit checked out where the package lives, or None outside a repository."""
    folder = where or Path(__file__).resolve().parent
    try:
        done = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"],
                              check=False, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None  # no repository here, or one without commits yet
    return done.stdout.strip() or None


def target_record(target: Target) -> TargetRecord:
    """A target as the JSON records it."""
    return TargetRecord(stat=target.stat, op=target.op, value=target.value, source=target.source)


def measured(bench: Benchmark, measurement: Measurement, summary: Summary,
             calibration_median: float, duration_s: float) -> BenchmarkRecord:
    """The record of a benchmark that ran: samples, statistics and each target's verdict."""
    results = [_verdict(t, summary) for t in bench.targets]
    return BenchmarkRecord(
        name=bench.name, unit=bench.unit, description=bench.description,
        samples=list(measurement.samples), n=summary.n, median=summary.median,
        p95=summary.p95, p99=summary.p99, mean=summary.mean, stdev=summary.stdev,
        min=summary.min, max=summary.max,
        ratio_to_calibration=summary.median / calibration_median,
        target=target_record(bench.target), targets=results,
        passed=all(r["passed"] for r in results), extra=dict(measurement.extra),
        duration_s=duration_s, error=None, not_run=None)


def failed(bench: Benchmark, error: str, duration_s: float) -> BenchmarkRecord:
    """The record of a benchmark that raised: no samples, no verdict, the error."""
    return _unmeasured(bench, duration_s, error=error, not_run=None)


def not_run(bench: Benchmark, reason: str, duration_s: float) -> BenchmarkRecord:
    """The record of a benchmark left out (it raised `NotRun`): no samples, no verdict, why."""
    return _unmeasured(bench, duration_s, error=None, not_run=reason)


def _unmeasured(bench: Benchmark, duration_s: float, *, error: str | None,
                not_run: str | None) -> BenchmarkRecord:
    results = [TargetResult(**target_record(t), observed=None, passed=None)
               for t in bench.targets]
    return BenchmarkRecord(
        name=bench.name, unit=bench.unit, description=bench.description, samples=[], n=0,
        median=None, p95=None, p99=None, mean=None, stdev=None, min=None, max=None,
        ratio_to_calibration=None, target=target_record(bench.target), targets=results,
        passed=None, extra={}, duration_s=duration_s, error=error, not_run=not_run)


def _verdict(target: Target, summary: Summary) -> TargetResult:
    observed = target.observed(summary)
    return TargetResult(**target_record(target), observed=observed,
                        passed=target.holds(observed))


def save_run(home: Path, record: RunRecord) -> Path:
    """Write the run to `<home>/perf/runs/<run_id>.json`; its path."""
    path = home / RUNS_DIR / f"{record['run_id']}.json"
    write_json(path, record)
    return path


def write_json(path: Path, record: RunRecord | dict[str, Any]) -> None:
    """Write record as indented UTF-8 JSON, creating the folder, replacing the file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
