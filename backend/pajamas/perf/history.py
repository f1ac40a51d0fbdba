"""The saved runs: every run is kept under `<home>/perf/runs/` with its machine and calibration.

`runs` lists them newest first, `load` reads one by id or from a JSON file, `series` follows one
benchmark's median over runs, and `expected_durations` says how long each benchmark took
last time (the progress bar's estimate of the time left).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final, TypedDict

from pajamas.errors import InvalidParams, NotFound
from pajamas.perf.record import RUNS_DIR, RunHead

RUN_ID: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class RunSummary(RunHead, total=False):
    """A saved run in a listing (`error` and an empty head when its file cannot be read)."""

    host: str
    commit: str | None
    benchmarks: list[str]
    passed: int
    failed: int
    errors: int
    not_run: int
    error: str


class Point(TypedDict):
    """One run's figure for one benchmark."""

    run_id: str
    started_at: str
    host: str
    commit: str | None
    scale: float
    median: float | None
    p95: float | None
    n: int
    ratio_to_calibration: float | None
    unit: str
    verdict: str


def folder(home: Path) -> Path:
    """Where home's runs are saved."""
    return home / RUNS_DIR


def paths(home: Path) -> list[Path]:
    """The saved runs' files, oldest first (run ids sort by start time)."""
    where = folder(home)
    return sorted(where.glob("*.json")) if where.is_dir() else []


def load(home: Path, run: str | None, *, files: bool = False) -> dict[str, Any]:
    """The run called run (a run id; with files, also a run's JSON file), or the latest.

    Raises `NotFound` when there is no such run, `InvalidParams` when run is neither.  The
    core's methods take run ids only: a client may not have the core read any file it names.
    """
    path = _path_of(home, run, files)
    try:
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound(f"no perf run {run!r} in {folder(home)}", run=run) from None
    except (OSError, ValueError) as exc:
        raise NotFound(f"the perf run {path} cannot be read: {exc}", run=run) from None
    if not isinstance(loaded, dict) or "benchmarks" not in loaded:
        raise NotFound(f"{path} is not a perf run's JSON (it has no benchmarks)", run=run)
    return loaded


def _path_of(home: Path, run: str | None, files: bool) -> Path:
    if run is None:
        found = paths(home)
        if not found:
            raise NotFound(f"no perf run has been saved in {folder(home)} yet", hint="perf.run")
        return found[-1]
    if files and (run.endswith(".json") or "/" in run or "\\" in run):
        return Path(run).expanduser()
    if not RUN_ID.match(run):
        raise InvalidParams(f"param 'run' must be a run id such as 20261122T013800123Z-1a2b3c "
                            f"or a run's JSON file, not {run!r:.80}", field="run")
    return folder(home) / f"{run}.json"


def runs(home: Path, offset: int = 0, limit: int | None = None) -> tuple[list[RunSummary], int]:
    """A page of the saved runs' summaries, newest first, and how many runs there are."""
    found = paths(home)[::-1]
    page = found[offset:None if limit is None else offset + limit]
    return [_summary_of(path) for path in page], len(found)


def _summary_of(path: Path) -> RunSummary:
    try:
        return summary(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return RunSummary(run_id=path.stem, started_at="", finished_at="", suite="", scale=0.0,
                          repeat=0, error="this run's file cannot be read")


def summary(run: dict[str, Any]) -> RunSummary:
    """A run in a listing: when, what, where, and its verdicts counted."""
    from pajamas.perf.report import verdict  # noqa: PLC0415  (report imports record)

    verdicts = [verdict(b) for b in run["benchmarks"]]
    machine = run.get("machine", {})
    return RunSummary(
        run_id=run["run_id"], started_at=run["started_at"], finished_at=run["finished_at"],
        suite=run.get("suite", "full" if run["scale"] == 1 else "custom"), scale=run["scale"],
        repeat=run.get("repeat", 1), host=machine.get("hostname", "?"),
        commit=machine.get("commit"), benchmarks=[b["name"] for b in run["benchmarks"]],
        passed=verdicts.count("pass"), failed=verdicts.count("FAIL"),
        errors=verdicts.count("ERROR"), not_run=verdicts.count("unsupported here"))


def iter_runs(home: Path) -> Iterator[dict[str, Any]]:
    """Every readable saved run, oldest first."""
    for path in paths(home):
        try:
            yield json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue


def series(home: Path, name: str, limit: int | None = None) -> list[Point]:
    """Benchmark name's figures in every saved run that has it, oldest first (last limit)."""
    points = [point for run in iter_runs(home) if (point := _point(run, name)) is not None]
    return points[-limit:] if limit else points


def series_of(runs_: Iterable[dict[str, Any]], name: str) -> list[Point]:
    """name's figures in the given runs, in their order."""
    return [point for run in runs_ if (point := _point(run, name)) is not None]


def _point(run: dict[str, Any], name: str) -> Point | None:
    from pajamas.perf.report import verdict  # noqa: PLC0415

    bench = next((b for b in run.get("benchmarks", []) if b.get("name") == name), None)
    if bench is None:
        return None
    machine = run.get("machine", {})
    return Point(run_id=run["run_id"], started_at=run["started_at"],
                 host=machine.get("hostname", "?"), commit=machine.get("commit"),
                 scale=run["scale"], median=bench["median"], p95=bench["p95"], n=bench["n"],
                 ratio_to_calibration=bench.get("ratio_to_calibration"), unit=bench["unit"],
                 verdict=verdict(bench))


def expected_durations(home: Path, names: list[str], scale: float,
                       repeat: int) -> dict[str, float]:
    """Seconds each benchmark of names took in the latest run at scale that ran it."""
    wanted, found = set(names), {}
    for path in reversed(paths(home)[-50:]):
        try:
            run = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if run.get("scale") != scale:
            continue
        for bench in run.get("benchmarks", []):
            if bench["name"] in wanted and bench["name"] not in found:
                found[bench["name"]] = bench["duration_s"] / run.get("repeat", 1) * repeat
    return found
