"""The JSON record of a run (schema 3): its machine, calibration and benchmarks; where runs live.

A run is saved as `<home>/perf/runs/<run_id>.json`; run ids sort by start time.  Schema 2 adds
to schema 1 the run's suite, repeat and budget files, the machine's memory and hub version,
and each benchmark's group, direction (`better`), warm-up samples and per-repetition counts;
a benchmark's `target` is None when it has no budget.  Schema 3 adds the inter-process
control (`ipc`).  Readers accept all three.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypedDict

from pajamas.perf.benchmark import Benchmark, Measurement
from pajamas.perf.budgets import Target
from pajamas.perf.machine import MachineRecord
from pajamas.perf.stats import Summary
from pajamas.perf.suites import group_of

SCHEMA: Final = 3
RUNS_DIR: Final = Path("perf") / "runs"


class CalibrationRecord(TypedDict):
    """The calibration loop's figures in this run."""

    name: str
    unit: str
    median: float
    p95: float
    n: int


class IpcRecord(TypedDict):
    """The inter-process control's figures in this run (`ipc_control`).

    `rounds` holds the mean round trip timed before each round and once more at the end (a
    mean, so that a machine slow to wake processes now and then shows, as it does in every
    benchmark through the core); `median` is theirs, `n` the round trips timed in all.
    """

    name: str
    unit: str
    median: float
    rounds: list[float]
    n: int


class TargetRecord(TypedDict):
    """A target as its budget declares it (`source` is the budget's reason)."""

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

    `samples` are every repetition's samples after warm-up, in order (`repeats` says how many
    each repetition gave); `warmup_samples` those left out.  `error` says why it failed to run
    (it raised); `not_run` why it is unsupported here (it raised `NotRun`: a display, a Linux
    feature or a data set this machine lacks).
    """

    name: str
    group: str
    unit: str
    better: str
    description: str
    samples: list[float]
    warmup_samples: list[float]
    repeats: list[int]
    n: int
    median: float | None
    p95: float | None
    p99: float | None
    mean: float | None
    stdev: float | None
    min: float | None
    max: float | None
    ratio_to_calibration: float | None
    target: TargetRecord | None
    targets: list[TargetResult]
    passed: bool | None
    extra: dict[str, float | str]
    duration_s: float
    error: str | None
    not_run: str | None


class RunHead(TypedDict):
    """What names a run and says how it ran: its id, times, suite, scale and repetitions."""

    run_id: str
    started_at: str
    finished_at: str
    suite: str
    scale: float
    repeat: int


class RunRecord(RunHead):
    """A whole run, as written to JSON."""

    schema: int
    budgets: list[str]
    machine: MachineRecord
    calibration: CalibrationRecord
    ipc: IpcRecord
    benchmarks: list[BenchmarkRecord]


def now_iso() -> str:
    """The current UTC time as ISO 8601 with microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_run_id() -> str:
    """A run id that sorts by start time, to the millisecond: "20261122T013800123Z-1a2b3c"."""
    now = datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}Z-{secrets.token_hex(3)}"


def target_record(target: Target) -> TargetRecord:
    """A target as the JSON records it."""
    return TargetRecord(stat=target.stat, op=target.op, value=target.value, source=target.source)


def measured(bench: Benchmark, targets: tuple[Target, ...], measurement: Measurement,
             summary: Summary, *, calibration_median: float, duration_s: float,
             warmup: list[float] | None = None,
             repeats: list[int] | None = None) -> BenchmarkRecord:
    """The record of a benchmark that ran: samples, statistics and each target's verdict."""
    results = [_verdict(t, summary) for t in targets]
    return BenchmarkRecord(
        name=bench.name, group=group_of(bench.name), unit=bench.unit, better=bench.better,
        description=bench.description, samples=list(measurement.samples),
        warmup_samples=list(warmup or []), repeats=repeats or [summary.n], n=summary.n,
        median=summary.median, p95=summary.p95, p99=summary.p99, mean=summary.mean,
        stdev=summary.stdev, min=summary.min, max=summary.max,
        ratio_to_calibration=summary.median / calibration_median,
        target=_primary(targets), targets=results,
        passed=all(r["passed"] for r in results) if results else None,
        extra=dict(measurement.extra), duration_s=duration_s, error=None, not_run=None)


def failed(bench: Benchmark, targets: tuple[Target, ...], error: str,
           duration_s: float) -> BenchmarkRecord:
    """The record of a benchmark that raised: no samples, no verdict, the error."""
    return _unmeasured(bench, targets, duration_s, error=error, not_run=None)


def not_run(bench: Benchmark, targets: tuple[Target, ...], reason: str,
            duration_s: float) -> BenchmarkRecord:
    """The record of a benchmark unsupported here (it raised `NotRun`): why, no samples."""
    return _unmeasured(bench, targets, duration_s, error=None, not_run=reason)


def _unmeasured(bench: Benchmark, targets: tuple[Target, ...], duration_s: float, *,
                error: str | None, not_run: str | None) -> BenchmarkRecord:
    results = [TargetResult(**target_record(t), observed=None, passed=None) for t in targets]
    return BenchmarkRecord(
        name=bench.name, group=group_of(bench.name), unit=bench.unit, better=bench.better,
        description=bench.description, samples=[], warmup_samples=[], repeats=[], n=0,
        median=None, p95=None, p99=None, mean=None, stdev=None, min=None, max=None,
        ratio_to_calibration=None, target=_primary(targets), targets=results,
        passed=None, extra={}, duration_s=duration_s, error=error, not_run=not_run)


def _primary(targets: tuple[Target, ...]) -> TargetRecord | None:
    return target_record(targets[0]) if targets else None


def _verdict(target: Target, summary: Summary) -> TargetResult:
    observed = target.observed(summary)
    return TargetResult(**target_record(target), observed=observed,
                        passed=target.holds(observed))


def better_of(bench: dict[str, Any] | BenchmarkRecord) -> str:
    """"lower" or "higher": a schema-1 record says it only through its primary target's op."""
    if bench.get("better") in ("lower", "higher"):
        return str(bench["better"])
    target = bench.get("target")
    return "higher" if isinstance(target, dict) and target.get("op") == ">=" else "lower"


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
