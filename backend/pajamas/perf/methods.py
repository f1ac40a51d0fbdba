"""perf.*: the performance suite as a background task of the core, its saved runs, their
history and comparison, its benchmarks; and `install`, which adds them to the core.

A run goes through the same runner as `pajamas perf run` and is saved where that command saves
its runs (`<home>/perf/runs/<run_id>.json`).  Each benchmark is a step of the task's progress
and a safe point: cancelling stops the run before its next benchmark.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pajamas.errors import Conflict, InvalidParams
from pajamas.rpc.methods import Registry
from pajamas.stages import Slot

if TYPE_CHECKING:  # the manager is imported by its start-up stage
    from pajamas.context import Context
    from pajamas.tasks.manager import TaskManager
    from pajamas.tasks.task import Task

MAX_RUNS_PAGE: Final = 100
MAX_REPEAT: Final = 20


def install(ctx: Context, tasks: Slot[TaskManager]) -> None:
    """Add the perf.* methods; runs go to the task manager in `tasks`."""
    register(ctx.registry, tasks, ctx.home)


def register(registry: Registry, tasks: Slot[TaskManager], home: Path) -> None:
    """Add the perf.* methods for the core serving home."""

    def perf_run(suite: str = "full", only: list[Any] | None = None,
                 repeat: int | None = None) -> dict[str, Any]:
        """Start the performance suite as a background task: {"task": id}.

        `suite` is "quick" (the vital signs), "full" (everything) or a group ("rpc",
        "memory", ...); `only` lists benchmark names or dotted prefixes to run instead, at the
        suite's scale; `repeat` runs each benchmark that many times (the suite's when None:
        5 for quick, else 1).  Progress comes as
        task.progress events; the finished task's result is {"run_id", "path", "passed",
        "failed", "errors", "not_run"} (counts of benchmarks), and perf.results returns the
        whole run.
        """
        if repeat is not None and not 1 <= repeat <= MAX_REPEAT:
            raise InvalidParams(f"param 'repeat' must be between 1 and {MAX_REPEAT}",
                                field="repeat")
        job = PerfJob(home, suite, _names(only), repeat)
        manager = tasks.get()
        _refuse_second_run(manager)
        task = manager.submit("perf", job, priority=-1, title=job.title())
        return {"task": task.id}

    def perf_results(run: str | None = None) -> dict[str, Any]:
        """Return a saved perf run (default: the latest), as `pajamas perf run` records it."""
        from pajamas.perf import history  # noqa: PLC0415

        return history.load(home, run)

    def perf_runs(offset: int = 0, limit: int = 20) -> dict[str, Any]:
        """List the saved runs, newest first: {"items": [run summary], "total"}.

        A summary is {"run_id", "started_at", "finished_at", "suite", "scale", "repeat",
        "host", "commit", "benchmarks" (names), "passed", "failed", "errors", "not_run"};
        perf.results returns a whole run.
        """
        from pajamas.perf import history  # noqa: PLC0415

        _page(offset, limit)
        items, total = history.runs(home, offset, limit)
        return {"items": items, "total": total}

    def perf_history(name: str, limit: int = 100) -> dict[str, Any]:
        """One benchmark's figures over the saved runs, oldest first: {"items": [point]}.

        A point is {"run_id", "started_at", "host", "commit", "scale", "median", "p95", "n",
        "ratio_to_calibration", "unit", "verdict"}; the last `limit` runs that have it.
        """
        from pajamas.perf import history  # noqa: PLC0415

        _page(0, limit)
        return {"items": history.series(home, name, limit)}

    def perf_compare(base: str, new: str | None = None,
                     threshold: float | None = None) -> dict[str, Any]:
        """Compare run new (default: the latest) against run base, benchmark by benchmark.

        Returns {"base", "new", "calibrated", "threshold", "alpha", "rows", "groups",
        "slower", "faster", ...}: each row's ratio of medians with its 95% interval, the
        Mann-Whitney p-value, the threshold it needed and a verdict ("slower", "faster",
        "same", "not compared").  threshold, when given, holds for every benchmark; else
        each has its own from the budgets file, or 1.1.
        """
        from pajamas.perf import budgets, compare, history  # noqa: PLC0415

        if threshold is not None and not 1 < threshold <= 10:
            raise InvalidParams("param 'threshold' must be above 1 and at most 10",
                                field="threshold")
        result = compare.compare(history.load(home, base), history.load(home, new),
                                 threshold=threshold, thresholds=budgets.load(home).ratios())
        return dict(result)

    def perf_list() -> dict[str, Any]:
        """List the suite's benchmarks, in suite order: {"items": [benchmark], "total"}.

        A benchmark is {"name", "group", "unit", "better", "description", "targets":
        [{"stat", "op", "value", "source"}]} (targets from the budgets file; "source" says
        why); its names (or dotted prefixes) go in perf.run's `only`.
        """
        from pajamas.perf import budgets  # noqa: PLC0415
        from pajamas.perf.record import target_record  # noqa: PLC0415
        from pajamas.perf.registry import all_benchmarks  # noqa: PLC0415  (the suite is big)
        from pajamas.perf.suites import group_of  # noqa: PLC0415

        held = budgets.load(home)
        items = [{"name": b.name, "group": group_of(b.name), "unit": b.unit,
                  "better": b.better, "description": b.description,
                  "targets": [target_record(t) for t in held.of(b.name)]}
                 for b in all_benchmarks()]
        return {"items": items, "total": len(items)}

    registry.add("perf.run", perf_run)
    registry.add("perf.results", perf_results)
    registry.add("perf.runs", perf_runs)
    registry.add("perf.history", perf_history)
    registry.add("perf.compare", perf_compare)
    registry.add("perf.list", perf_list)


def _page(offset: int, limit: int) -> None:
    if offset < 0:
        raise InvalidParams("param 'offset' must be 0 or more", field="offset")
    if not 1 <= limit <= MAX_RUNS_PAGE:
        raise InvalidParams(f"param 'limit' must be between 1 and {MAX_RUNS_PAGE}",
                            field="limit")


class PerfJob:
    """The work of one perf task: run the chosen benchmarks, save the run, sum up verdicts."""

    def __init__(self, home: Path, suite: str, only: list[str] | None,
                 repeat: int | None) -> None:
        from pajamas.perf import budgets, runner  # noqa: PLC0415  (the suite is big)

        self.home, self.suite, self.only = home, suite, only
        # NotFound (no such benchmark or suite) now, not in a failed task.
        self.plan = runner.plan(suite, only, repeat=repeat, budgets=budgets.load(home))

    def title(self) -> str:
        """What the task list shows for this run."""
        names = ", ".join(self.only) if self.only else "all benchmarks"
        return f"perf run ({self.suite}): {names}"

    def __call__(self, task: Task) -> dict[str, Any]:
        from dataclasses import replace  # noqa: PLC0415

        from pajamas.config import load_settings  # noqa: PLC0415
        from pajamas.perf import record, runner  # noqa: PLC0415
        from pajamas.perf.progress import Lines  # noqa: PLC0415
        from pajamas.perf.report import verdict  # noqa: PLC0415

        steps = replace(self.plan, benchmarks=self._steps(task),
                        settings=load_settings(self.home))  # the core's own, as it read them
        result = runner.execute(steps, Lines(lambda line: task.progress(task.fraction,
                                                                        line.strip())))
        path = record.save_run(self.home, result)
        verdicts = [verdict(b) for b in result["benchmarks"]]
        return {"run_id": result["run_id"], "path": str(path),
                "passed": verdicts.count("pass"), "failed": verdicts.count("FAIL"),
                "errors": verdicts.count("ERROR"), "not_run": verdicts.count("unsupported here")}

    def _steps(self, task: Task) -> list[Any]:
        """The chosen benchmarks, each repetition first reporting progress (a safe point)."""
        from dataclasses import replace  # noqa: PLC0415

        chosen = self.plan.benchmarks
        counter = _Steps(len(chosen) * self.plan.repeat)
        return [replace(bench, func=counter.wrap(task, bench.func, bench.name))
                for bench in chosen]


class _Steps:
    """Counts the repetitions run, to report each one's share of the whole run."""

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0

    def wrap(self, task: Task, func: Callable[[Any], Any], name: str) -> Callable[[Any], Any]:
        def run(ctx: Any) -> Any:
            fraction, self.done = self.done / self.total, self.done + 1
            task.progress(fraction, f"running {name}")  # raises Cancelled past the runner's guard
            return func(ctx)
        return run


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
