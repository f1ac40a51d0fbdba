"""Running the suite: calibrate, run the chosen benchmarks, record and report the run.

`run` does the measuring and returns the run's record; `run_cli` is `pajamas perf run`: it
also saves the run under the home (its history), writes `--json`, prints the report and picks
the exit code.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TextIO

from pajamas.config import Settings, load_settings, resolve_home
from pajamas.errors import HubError, NotFound
from pajamas.perf import budgets as budget_file
from pajamas.perf import calibration, history, ipc_control, record
from pajamas.perf.benchmark import Benchmark, Context, Measurement, NotRun
from pajamas.perf.budgets import Budgets
from pajamas.perf.machine import machine_record
from pajamas.perf.progress import Bar, Lines, Observer
from pajamas.perf.record import BenchmarkRecord, CalibrationRecord, IpcRecord, RunRecord
from pajamas.perf.registry import Registry, default_registry
from pajamas.perf.report import format_report, verdict
from pajamas.perf.stats import summarize
from pajamas.perf.suites import suite as find_suite

EXIT_OK: Final = 0
EXIT_TARGET_FAILED: Final = 1
EXIT_ERROR: Final = 2
CALIBRATION_REPEATS: Final = 15

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Plan:
    """What a run measures and how: its benchmarks, suite, scale, repetitions and budgets."""

    benchmarks: list[Benchmark]
    suite: str = "full"
    scale: float = 1.0
    repeat: int = 1
    settings: Settings = field(default_factory=Settings)
    data: Path | None = None
    budgets: Budgets = field(default_factory=Budgets)

    def __post_init__(self) -> None:
        if self.scale <= 0:
            raise ValueError(f"scale must be positive, not {self.scale!r}")
        if self.repeat < 1:
            raise ValueError(f"repeat must be 1 or more, not {self.repeat!r}")


def plan(suite: str = "full", only: Iterable[str] | None = None, *,
         registry: Registry | None = None, scale: float | None = None,
         repeat: int | None = None, settings: Settings | None = None, data: Path | None = None,
         budgets: Budgets | None = None) -> Plan:
    """The plan of a run of suite (or of only, at the suite's scale and repetitions);
    `NotFound` if empty.

    `scale` and `repeat` default to the suite's, `settings` to the defaults, `budgets` to the
    shipped ones.
    """
    chosen_suite = find_suite(suite)
    reg = default_registry() if registry is None else registry
    chosen = reg.select(only) if only is not None else chosen_suite.select(reg)
    return Plan(chosen, suite, chosen_suite.scale if scale is None else scale,
                chosen_suite.repeat if repeat is None else repeat,
                Settings() if settings is None else settings, data,
                budget_file.load() if budgets is None else budgets)


def run(only: Iterable[str] | None = None, *, scale: float = 1.0,
        registry: Registry | None = None, progress: Progress | None = None,
        settings: Settings | None = None, suite: str = "full", repeat: int | None = None,
        data: Path | None = None, budgets: Budgets | None = None,
        observer: Observer | None = None) -> RunRecord:
    """Run the benchmarks only names (the suite's when None) at scale; the run's record.

    Raises `NotFound` when a name matches no benchmark.  A benchmark that raises is recorded
    with its error (one that raises `NotRun`, as unsupported here) and the others still run.
    `settings` reach the benchmarks through their context (the defaults when None); `budgets`
    are the shipped ones when None.
    """
    chosen = plan(suite, only, registry=registry, scale=scale, repeat=repeat,
                  settings=settings, data=data, budgets=budgets)
    return execute(chosen, observer or Lines(progress or (lambda line: None)))


def execute(chosen: Plan, observer: Observer) -> RunRecord:
    """Calibrate, run every benchmark of the plan, and return the run's record.

    With several repetitions the suite runs in rounds: each round runs every benchmark once,
    after timing the calibration loop again.  So a benchmark's repetitions are spread over
    the whole run, each meeting the machine as it was at a different moment, and the run's
    calibration pools every round's loops: what a comparison by repetition needs.  The
    inter-process control is timed before every round and once more at the end.
    """
    started_at, run_id = record.now_iso(), record.new_run_id()
    with ipc_control.Echo() as echo:
        trips = [echo.trips()]
        loops = _calibration_loops(chosen.scale)
        calib = _calibration_record(loops)
        observer.calibrated(calib)
        tallies = [_Tally(bench) for bench in chosen.benchmarks]
        steps = len(tallies) * chosen.repeat
        for round_ in range(chosen.repeat):
            if round_:
                trips.append(echo.trips())
                loops += _calibration_loops(chosen.scale)
            for index, tally in enumerate(tallies):
                observer.started(tally.bench, round_ * len(tallies) + index, steps)
                tally.measure(chosen)
                observer.finished(tally.result(chosen, calib["median"]))
        trips.append(echo.trips())
    calib = _calibration_record(loops)
    return RunRecord(schema=record.SCHEMA, run_id=run_id, started_at=started_at,
                     finished_at=record.now_iso(), suite=chosen.suite, scale=chosen.scale,
                     repeat=chosen.repeat, budgets=list(chosen.budgets.files),
                     machine=machine_record(), calibration=calib, ipc=_ipc_record(trips),
                     benchmarks=[tally.result(chosen, calib["median"]) for tally in tallies])


def run_cli(only: list[str] | None, json_path: Path | None, *, scale: float | None = None,
            suite: str = "full", repeat: int | None = None, data: Path | None = None,
            registry: Registry | None = None, home: Path | None = None,
            out: TextIO | None = None, settings: Settings | None = None,
            bar: bool | None = None) -> int:
    """`pajamas perf run`: 0 when every budget held, 1 when one was missed, 2 on errors.

    Benchmarks unsupported here count as neither.  `settings` default to the home's; `bar`
    (a progress bar on stderr) defaults to whether stderr is a terminal.
    """
    stream = out or sys.stdout
    where = home or resolve_home()

    def say(line: str) -> None:
        print(line, file=stream, flush=True)

    try:
        chosen = plan(suite, only, registry=registry, scale=scale, repeat=repeat,
                      settings=load_settings(where) if settings is None else settings,
                      data=data, budgets=budget_file.load(where))
    except (NotFound, ValueError) as exc:
        print(f"pajamas perf: {exc.message if isinstance(exc, HubError) else exc}",
              file=sys.stderr)
        return EXIT_ERROR
    use_bar = sys.stderr.isatty() if bar is None else bar
    result = _execute_shown(chosen, where, say) if use_bar else execute(chosen, Lines(say))
    return _publish(result, json_path, where, say)


def _execute_shown(chosen: Plan, home: Path, say: Progress) -> RunRecord:
    names = [b.name for b in chosen.benchmarks]
    shown = Bar(names * chosen.repeat, history.expected_durations(home, names, chosen.scale, 1))
    try:
        result = execute(chosen, shown)
    finally:
        shown.close()
    say(f"calibration: median {result['calibration']['median']:.2f} ms")
    return result


def exit_code(run_record: RunRecord | dict[str, object]) -> int:
    """2 if a benchmark raised, else 1 if a budget was missed, else 0."""
    benchmarks: list[BenchmarkRecord] = run_record["benchmarks"]  # type: ignore[assignment]
    verdicts = {verdict(b) for b in benchmarks}
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


def _calibration_loops(scale: float) -> list[float]:
    return calibration.loops(max(5, round(CALIBRATION_REPEATS * scale)))


def _calibration_record(loops: list[float]) -> CalibrationRecord:
    summary = summarize(loops)
    return CalibrationRecord(name=calibration.NAME, unit=calibration.UNIT,
                             median=summary.median, p95=summary.p95, n=summary.n)


def _ipc_record(trips: list[list[float]]) -> IpcRecord:
    rounds = [sum(times) / len(times) for times in trips]
    return IpcRecord(name=ipc_control.NAME, unit=ipc_control.UNIT,
                     median=summarize(rounds).median, rounds=rounds,
                     n=sum(len(times) for times in trips))


class _Tally:
    """One benchmark's repetitions so far: their samples, or why it stopped."""

    def __init__(self, bench: Benchmark) -> None:
        self.bench = bench
        self.kept: list[float] = []
        self.warm: list[float] = []
        self.repeats: list[int] = []
        self.extra: dict[str, float | str] = {}
        self.spent_s = 0.0
        self.error: str | None = None
        self.not_run: str | None = None

    def measure(self, chosen: Plan) -> None:
        """Run one more repetition, unless an earlier one failed or was unsupported here."""
        if self.error is not None or self.not_run is not None:
            return
        start = time.monotonic()
        try:
            measurement = _measure_once(self.bench, chosen)
        except NotRun as exc:
            self.not_run = str(exc)
        except Exception as exc:  # a broken benchmark is reported; the others still run
            self.error = _describe(exc)
        else:
            self.warm += measurement.samples[:self.bench.warmup]
            self.kept += measurement.samples[self.bench.warmup:]
            self.repeats.append(len(measurement.samples) - self.bench.warmup)
            self.extra = dict(measurement.extra)
        finally:
            self.spent_s += time.monotonic() - start

    def result(self, chosen: Plan, calibration_median: float) -> BenchmarkRecord:
        """The benchmark's record from the repetitions so far."""
        targets = chosen.budgets.of(self.bench.name)
        if self.not_run is not None:
            return record.not_run(self.bench, targets, self.not_run, self.spent_s)
        if self.error is not None:
            return record.failed(self.bench, targets, self.error, self.spent_s)
        return record.measured(self.bench, targets, Measurement(self.kept, self.extra),
                               summarize(self.kept), calibration_median=calibration_median,
                               duration_s=self.spent_s, warmup=self.warm,
                               repeats=self.repeats)


def _measure_once(bench: Benchmark, chosen: Plan) -> Measurement:
    # Sockets of a core that was killed can linger; a leftover temp file is not worth a failure.
    with tempfile.TemporaryDirectory(prefix="pajamas-perf-", ignore_cleanup_errors=True) as tmp:
        context = Context(Path(tmp), chosen.scale, chosen.settings, chosen.data)
        measurement = bench.func(context)
    if len(measurement.samples) <= bench.warmup:
        raise HubError(f"benchmark {bench.name} returned {len(measurement.samples)} samples, "
                       f"no more than its {bench.warmup} warm-up ones")
    return measurement


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
