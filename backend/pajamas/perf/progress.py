"""What a run tells as it goes: `Observer` receives each step; two ways to show them.

`Lines` prints a line per step (a log, a task's progress messages, a pipe); `Bar` draws a rich
progress bar on a terminal: the benchmark running, how many are done, and the time left,
estimated from how long each benchmark took in the last saved run at the same scale.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pajamas.perf.benchmark import Benchmark
    from pajamas.perf.record import BenchmarkRecord, CalibrationRecord


class Observer(Protocol):
    """Told of each step of a run."""

    def calibrated(self, calibration: CalibrationRecord) -> None:
        """The calibration loop was timed."""

    def started(self, bench: Benchmark, index: int, total: int) -> None:
        """Benchmark index (0-based) of total starts."""

    def finished(self, result: BenchmarkRecord) -> None:
        """A benchmark finished: measured, failed or unsupported here."""


class Lines:
    """An observer that says each step in a line."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say

    def calibrated(self, calibration: CalibrationRecord) -> None:
        """Say the calibration's median."""
        self.say(f"calibration: median {calibration['median']:.2f} ms")

    def started(self, bench: Benchmark, index: int, total: int) -> None:
        """Say which benchmark runs."""
        self.say(f"running {bench.name} ({index + 1}/{total}) …")

    def finished(self, result: BenchmarkRecord) -> None:
        """Say how it ended."""
        name = result["name"]
        if result["error"] is not None:
            self.say(f"  {name} failed: {result['error']}")
        elif result["not_run"] is not None:
            self.say(f"  {name} unsupported here: {result['not_run']}")
        else:
            self.say(f"  {name}: {result['n']} samples in {result['duration_s']:.1f} s")


class Bar:
    """A rich progress bar: the running benchmark, done of total, and the time left."""

    def __init__(self, names: list[str], expected_s: Mapping[str, float],
                 console: Any = None) -> None:
        from rich.console import Console  # noqa: PLC0415  (only a terminal draws a bar)
        from rich.progress import (  # noqa: PLC0415
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.expected = dict(expected_s)
        self.console = console or Console(stderr=True)
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(),
                                 TextColumn("{task.fields[left]}"), console=self.console,
                                 transient=True)
        self.names = names
        self.task = self.progress.add_task("calibrating", total=len(names), left="")
        self.spent: dict[str, float] = {}
        self.progress.start()

    def calibrated(self, calibration: CalibrationRecord) -> None:
        """Nothing to show: the bar starts with the first benchmark."""

    def started(self, bench: Benchmark, index: int, total: int) -> None:
        """Show the benchmark and the time left."""
        self.progress.update(self.task, completed=index, description=f"running {bench.name}",
                             left=self.time_left(index))

    def finished(self, result: BenchmarkRecord) -> None:
        """Count it done; print a line for one that failed or is unsupported here."""
        self.spent[result["name"]] = result["duration_s"]
        self.progress.advance(self.task)
        if result["error"] is not None:
            self.console.print(f"  {result['name']} failed: {result['error']}")
        elif result["not_run"] is not None:
            self.console.print(f"  {result['name']} unsupported here: {result['not_run']}")

    def close(self) -> None:
        """Remove the bar from the terminal."""
        self.progress.stop()

    def time_left(self, index: int) -> str:
        """"about 3 min left", from the last run's durations (or the mean so far)."""
        done = list(self.spent.values())
        guess = sum(done) / len(done) if done else None
        remaining = [self.expected.get(name, guess) for name in self.names[index:]]
        if any(r is None for r in remaining):
            return "time left unknown"
        return f"about {_duration(sum(r for r in remaining if r is not None))} left"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    return f"{seconds / 60:.0f} min"
