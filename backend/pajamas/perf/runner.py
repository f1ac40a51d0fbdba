"""Running the suite: calibrate, run the chosen benchmarks, record and report the run.

`run` does the measuring and returns the run's record; `run_cli` is `pajamas perf run`: it
also saves the run under the home, writes `--json`, prints the report and picks the exit code.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final, TextIO

from pajamas.config import resolve_home
from pajamas.errors import HubError, NotFound
from pajamas.perf import calibration, record
from pajamas.perf.benchmark import Benchmark, Context
from pajamas.perf.record import BenchmarkRecord, CalibrationRecord, RunRecord
from pajamas.perf.registry import Registry, default_registry
from pajamas.perf.report import format_report, verdict
from pajamas.perf.stats import summarize

EXIT_OK: Final = 0
EXIT_TARGET_FAILED: Final = 1
EXIT_ERROR: Final = 2
CALIBRATION_REPEATS: Final = 15

Progress = Callable[[str], None]


def run(only: Iterable[str] | None = None, *, scale: float = 1.0,
        registry: Registry | None = None, progress: Progress | None = None) -> RunRecord:
    """Run the benchmarks only names (all when None) at scale; the run's record.

    Raises `NotFound` when a name matches no benchmark.  A benchmark that raises is recorded
    with its error and the others still run.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, not {scale!r}")
    chosen = (default_registry() if registry is None else registry).select(only)
    say = progress or (lambda line: None)
    started_at, run_id = record.now_iso(), record.new_run_id()
    calib = _calibrate(scale)
    say(f"calibration: median {calib['median']:.2f} ms")
    results = [_run_one(bench, scale, calib["median"], say) for bench in chosen]
    return RunRecord(schema=record.SCHEMA, run_id=run_id, started_at=started_at,
                     finished_at=record.now_iso(), scale=scale,
                     machine=record.machine_record(), calibration=calib, benchmarks=results)


def run_cli(only: list[str] | None, json_path: Path | None, *, scale: float = 1.0,
            registry: Registry | None = None, home: Path | None = None,
            out: TextIO | None = None) -> int:
    """`pajamas perf run`: 0 when every target passed, 1 when one failed, 2 on errors."""
    stream = out or sys.stdout

    def say(line: str) -> None:
        print(line, file=stream, flush=True)

    try:
        result = run(only, scale=scale, registry=registry, progress=say)
    except NotFound as exc:
        print(f"pajamas perf: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    return _publish(result, json_path, home or resolve_home(), say)


def exit_code(run_record: RunRecord) -> int:
    """2 if a benchmark raised, else 1 if a target failed, else 0."""
    verdicts = {verdict(b) for b in run_record["benchmarks"]}
    if "ERROR" in verdicts:
        return EXIT_ERROR
    return EXIT_TARGET_FAILED if "FAIL" in verdicts else EXIT_OK


def _publish(result: RunRecord, json_path: Path | None, home: Path, say: Progress) -> int:
    say("")
    say(format_report(result))
    try:
        say(f"\nsaved {record.save_run(home, result)}")
        if json_path is not None:
            record.write_json(json_path, result)
            say(f"wrote {json_path}")
    except OSError as exc:
        print(f"pajamas perf: cannot write the run: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return exit_code(result)


def _calibrate(scale: float) -> CalibrationRecord:
    summary = calibration.calibrate(max(5, round(CALIBRATION_REPEATS * scale)))
    return CalibrationRecord(name=calibration.NAME, unit=calibration.UNIT,
                             median=summary.median, p95=summary.p95, n=summary.n)


def _run_one(bench: Benchmark, scale: float, calibration_median: float,
             say: Progress) -> BenchmarkRecord:
    say(f"running {bench.name} …")
    start = time.monotonic()
    # Sockets of a core that was killed can linger; a leftover temp file is not worth a failure.
    with tempfile.TemporaryDirectory(prefix="pajamas-perf-", ignore_cleanup_errors=True) as tmp:
        try:
            measurement = bench.func(Context(Path(tmp), scale))
            if not measurement.samples:
                raise HubError(f"benchmark {bench.name} returned no samples")
        except Exception as exc:  # a broken benchmark is reported; the others still run
            say(f"  {bench.name} failed: {_describe(exc)}")
            return record.failed(bench, _describe(exc), time.monotonic() - start)
    duration = time.monotonic() - start
    say(f"  {bench.name}: {len(measurement.samples)} samples in {duration:.1f} s")
    return record.measured(bench, measurement, summarize(measurement.samples),
                           calibration_median, duration)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
