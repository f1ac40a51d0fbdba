"""What a benchmark is written against: its context, what it returns, and `NotRun`.

Its budget (the targets it is held to) is not here but in `budgets.toml` (see budgets.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pajamas.config import Settings

Better = Literal["lower", "higher"]


class NotRun(Exception):
    """Raised by a benchmark that cannot run here; the message says why, in one line.

    The run records the benchmark as "unsupported here" with that reason: neither a failure
    nor an error nor a pass (what this machine lacks: a display, the sandbox's Linux features,
    a data set the hub cannot ship that neither `--data` nor a setting names).
    """


@dataclass(frozen=True)
class Context:
    """What the runner gives a benchmark: a private temp folder, the run's scale, the settings.

    Benchmarks size their loops with `count`, so a test can run the real code at a small
    fraction of the full sample counts.  `settings` are the home's (`locomo_path`, say); `data`
    is the file `--data` names, when it names one.
    """

    workdir: Path
    scale: float = 1.0
    settings: Settings = field(default_factory=Settings)
    data: Path | None = None  # `perf run --data PATH`: LoCoMo's file, over the setting

    def count(self, full: int, *, minimum: int = 1) -> int:
        """full scaled by the run's scale, never below minimum."""
        return max(minimum, round(full * self.scale))


@dataclass(frozen=True)
class Measurement:
    """A benchmark's raw samples (in its unit; warm-up dropped) and optional extra figures.

    Extra figures are numbers, or a short name that says what the figures are of (the memory
    benchmarks' "corpus": "locomo" or "synthetic").
    """

    samples: list[float]
    extra: Mapping[str, float | str] = field(default_factory=dict)


BenchmarkFunc = Callable[[Context], Measurement]


@dataclass(frozen=True)
class Benchmark:
    """A registered benchmark.

    `better` says which way is good: "lower" for costs (latency, memory), "higher" for rates
    and scores; comparisons read a ratio of medians by it.  `warmup` is how many leading
    samples of each repetition are warm-up: kept in the record, left out of the figures.
    """

    name: str
    unit: str
    description: str
    func: BenchmarkFunc
    better: Better = "lower"
    warmup: int = 0
