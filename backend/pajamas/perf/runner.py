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

from pajamas.config import Settings, load_settings, resolve_home
from pajamas.errors import HubError, NotFound
from pajamas.perf import calibration, record
from pajamas.perf.benchmark import Benchmark, Context, NotRun
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
        registry: Registry | None = None, progress: Progress | None = None,
        settings: Settings | None = None) -> RunRecord:
    """Run the benchmarks only names (all when None) at scale; the run's record.

    Raises `NotFound` when a name matches no benchmark.  A benchmark that raises is recorded
    with its error (one that raises `NotRun`, as not run) and the others still run.
    `settings` reach the benchmarks through their context (the defaults when None).
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, not {scale!r}")
    chosen = (default_registry() if registry is None else registry).select(only)
    say = progress or (lambda line: None)
    started_at, run_id = record.now_iso(), record.new_run_id()
    calib = _calibrate(scale)
    say(f"calibration: median {calib['median']:.2f} ms")
    given = Settings() if settings is None else settings
    results = [_run_one(bench, scale, given, calib["median"], say) for bench in chosen]
    return RunRecord(schema=record.SCHEMA, run_id=run_id, started_at=started_at,
                     finished_at=record.now_iso(), scale=scale,
                     machine=record.machine_record(), calibration=calib, benchmarks=results)


def run_cli(only: list[str] | None, json_path: Path | None, *, scale: float = 1.0,
            registry: Registry | None = None, home: Path | None = None,
            out: TextIO | None = None, settings: Settings | None = None) -> int:
    """`pajamas perf run`: 0 when every target passed, 1 when one failed, 2 on errors.

    Benchmarks left out (not run) count as neither.  `settings` default to the home's.
    """
    stream = out or sys.stdout
    where = home or resolve_home()

    def say(line: str) -> None:
        print(line, file=stream, flush=True)

    try:
        result = run(only, scale=scale, registry=registry, progress=say,
                     settings=load_settings(where) if settings is None else settings)
    except NotFound as exc:
        print(f"pajamas perf: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    return _publish(result, json_path, where, say)


def exit_code(run_record: RunRecord) -> int:
    """2 if a benchmark raised, else 1 if a target failed, else 0 (not run ones count as 0)."""
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


def _run_one(bench: Benchmark, scale: float, settings: Settings, calibration_median: float,
             say: Progress) -> BenchmarkRecord:
    say(f"running {bench.name} …")
    start = time.monotonic()
    # Sockets of a core that was killed can linger; a leftover temp file is not worth a failure.
    with tempfile.TemporaryDirectory(prefix="pajamas-perf-", ignore_cleanup_errors=True) as tmp:
        try:
            measurement = bench.func(Context(Path(tmp), scale, settings))
            if not measurement.samples:
                raise HubError(f"benchmark {bench.name} returned no samples")
        except NotRun as exc:
            say(f"  {bench.name} not run: {exc}")
            return record.not_run(bench, str(exc), time.monotonic() - start)
        except Exception as exc:  # a broken benchmark is reported; the others still run
            say(f"  {bench.name} failed: {_describe(exc)}")
            return record.failed(bench, _describe(exc), time.monotonic() - start)
    duration = time.monotonic() - start
    say(f"  {bench.name}: {len(measurement.samples)} samples in {duration:.1f} s")
    return record.measured(bench, measurement, summarize(measurement.samples),
                           calibration_median, duration)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
