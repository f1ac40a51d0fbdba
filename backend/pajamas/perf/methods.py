"""perf.run, perf.results, perf.runs and perf.list: the performance suite as a background task
of the core, its saved runs and its benchmarks, and `install`, which adds them to the core.

A run goes through the same runner as `pajamas perf run` and is saved where that command saves
its runs (`<home>/perf/runs/<run_id>.json`).  Each benchmark is a step of the task's progress
and a safe point: cancelling stops the run before its next benchmark.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from pajamas.errors import Conflict, InvalidParams, NotFound
from pajamas.rpc.methods import Registry
from pajamas.stages import Slot

if TYPE_CHECKING:  # the manager is imported by its start-up stage
    from pajamas.context import Context
    from pajamas.tasks.manager import TaskManager
    from pajamas.tasks.task import Task

SCALES: Final = {"full": 1.0, "quick": 0.1}
_RUN_ID: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_RUNS_PAGE: Final = 100
Suite = Literal["full", "quick"]


def install(ctx: Context, tasks: Slot[TaskManager]) -> None:
    """Add the perf.* methods; runs go to the task manager in `tasks`."""
    register(ctx.registry, tasks, ctx.home)


def register(registry: Registry, tasks: Slot[TaskManager], home: Path) -> None:
    """Add the perf.* methods for the core serving home."""

    def perf_run(suite: Suite = "full", only: list[Any] | None = None) -> dict[str, Any]:
        """Start the performance suite as a background task: {"task": id}.

        `suite` "full" runs every loop at its full size, "quick" at a tenth; `only` lists
        benchmark names or dotted prefixes ("rpc", "monitor.overhead").  Progress comes as
        task.progress events; the finished task's result is {"run_id", "path", "passed",
        "failed", "errors", "not_run"} (counts of benchmarks), and perf.results returns the
        whole run.
        """
        names = _names(only)
        manager = tasks.get()
        _refuse_second_run(manager)
        job = PerfJob(home, names, SCALES[suite])
        task = manager.submit("perf", job, priority=-1, title=job.title(suite))
        return {"task": task.id}

    def perf_results(run: str | None = None) -> dict[str, Any]:
        """Return a saved perf run (default: the latest), as `pajamas perf run` records it."""
        return load_run(home, run)

    def perf_runs(offset: int = 0, limit: int = 20) -> dict[str, Any]:
        """List the saved runs, newest first: {"items": [run summary], "total"}.

        A summary is {"run_id", "started_at", "finished_at", "scale", "benchmarks" (names),
        "passed", "failed", "errors", "not_run"}; perf.results returns a whole run.
        """
        if offset < 0:
            raise InvalidParams("param 'offset' must be 0 or more", field="offset")
        if not 1 <= limit <= MAX_RUNS_PAGE:
            raise InvalidParams(f"param 'limit' must be between 1 and {MAX_RUNS_PAGE}",
                                field="limit")
        return list_runs(home, offset, limit)

    def perf_list() -> dict[str, Any]:
        """List the suite's benchmarks, in suite order: {"items": [benchmark], "total"}.

        A benchmark is {"name", "unit", "description", "targets": [{"stat", "op", "value",
        "source"}]}; its names (or dotted prefixes) go in perf.run's `only`.
        """
        from pajamas.perf.record import target_record  # noqa: PLC0415
        from pajamas.perf.registry import all_benchmarks  # noqa: PLC0415  (the suite is big)

        items = [{"name": b.name, "unit": b.unit, "description": b.description,
                  "targets": [target_record(t) for t in b.targets]} for b in all_benchmarks()]
        return {"items": items, "total": len(items)}

    registry.add("perf.run", perf_run)
    registry.add("perf.results", perf_results)
    registry.add("perf.runs", perf_runs)
    registry.add("perf.list", perf_list)


class PerfJob:
    """The work of one perf task: run the chosen benchmarks, save the run, sum up verdicts."""

    def __init__(self, home: Path, only: list[str] | None, scale: float) -> None:
        from pajamas.perf.registry import default_registry  # noqa: PLC0415  (the suite is big)

        self.home, self.only, self.scale = home, only, scale
        self.chosen = default_registry().select(only)  # NotFound now, not in a failed task

    def title(self, suite: str) -> str:
        """What the task list shows for this run."""
        names = ", ".join(self.only) if self.only else "all benchmarks"
        return f"perf run ({suite}): {names}"

    def __call__(self, task: Task) -> dict[str, Any]:
        from pajamas.config import load_settings  # noqa: PLC0415
        from pajamas.perf import record, runner  # noqa: PLC0415
        from pajamas.perf.report import verdict  # noqa: PLC0415

        steps = self._steps(task)
        result = runner.run(None, scale=self.scale, registry=steps,
                            progress=lambda line: task.progress(task.fraction, line.strip()),
                            settings=load_settings(self.home))  # the core's own, as it read them
        path = record.save_run(self.home, result)
        verdicts = [verdict(b) for b in result["benchmarks"]]
        return {"run_id": result["run_id"], "path": str(path),
                "passed": verdicts.count("pass"), "failed": verdicts.count("FAIL"),
                "errors": verdicts.count("ERROR"), "not_run": verdicts.count("not run")}

    def _steps(self, task: Task) -> Any:
        """A registry of the chosen benchmarks, each first reporting progress (a safe point)."""
        from pajamas.perf.benchmark import Benchmark  # noqa: PLC0415
        from pajamas.perf.registry import Registry as BenchRegistry  # noqa: PLC0415

        steps = BenchRegistry()
        for i, bench in enumerate(self.chosen):
            func = _step(task, bench.func, i / len(self.chosen), bench.name)
            steps.add(Benchmark(bench.name, bench.unit, bench.description, bench.targets, func))
        return steps


def _step(task: Task, func: Callable[[Any], Any], fraction: float,
          name: str) -> Callable[[Any], Any]:
    def run(ctx: Any) -> Any:
        task.progress(fraction, f"running {name}")  # raises Cancelled past the runner's guard
        return func(ctx)
    return run


def load_run(home: Path, run: str | None) -> dict[str, Any]:
    """The saved run called run, or the latest; `NotFound` when there is none."""
    from pajamas.perf.record import RUNS_DIR  # noqa: PLC0415

    folder = home / RUNS_DIR
    if run is not None and not _RUN_ID.match(run):
        raise InvalidParams(f"param 'run' must be a run id such as 20261122T013800Z-1a2b3c, "
                            f"not {run!r:.80}", field="run")
    path = folder / f"{run}.json" if run is not None else _latest(folder)
    try:
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound(f"no perf run {run!r} in {folder}", run=run) from None
    return loaded


def list_runs(home: Path, offset: int, limit: int) -> dict[str, Any]:
    """A page of the saved runs' summaries, newest first, and how many runs there are."""
    from pajamas.perf.record import RUNS_DIR  # noqa: PLC0415

    folder = home / RUNS_DIR
    paths = sorted(folder.glob("*.json"), reverse=True) if folder.is_dir() else []
    items = []
    for path in paths[offset:offset + limit]:
        try:
            items.append(_summary(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, KeyError, TypeError):
            items.append({"run_id": path.stem, "error": "this run's file cannot be read"})
    return {"items": items, "total": len(paths)}


def _summary(run: dict[str, Any]) -> dict[str, Any]:
    from pajamas.perf.report import verdict  # noqa: PLC0415

    verdicts = [verdict(b) for b in run["benchmarks"]]
    return {"run_id": run["run_id"], "started_at": run["started_at"],
            "finished_at": run["finished_at"], "scale": run["scale"],
            "benchmarks": [b["name"] for b in run["benchmarks"]],
            "passed": verdicts.count("pass"), "failed": verdicts.count("FAIL"),
            "errors": verdicts.count("ERROR"), "not_run": verdicts.count("not run")}


def _latest(folder: Path) -> Path:
    runs = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not runs:
        raise NotFound(f"no perf run has been saved in {folder} yet", hint="perf.run")
    return runs[-1]  # run ids sort by start time


def _names(only: list[Any] | None) -> list[str] | None:
    if only is not None and (not only or not all(isinstance(n, str) and n for n in only)):
        raise InvalidParams("param 'only' must be a non-empty list of benchmark names",
                            field="only")
    return only


def _refuse_second_run(manager: TaskManager) -> None:
    # Two runs side by side would each measure the other's load.
    for state in ("queued", "running"):
        busy = manager.list(state=state, kind="perf", limit=1)["items"]
        if busy:
            raise Conflict(f"a perf run is already {state} (task {busy[0]['id']})",
                           task=busy[0]["id"], hint="task.cancel")
