"""What a benchmark is written against: its targets, its context and what it returns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from pajamas.config import Settings
from pajamas.perf.stats import Summary

Stat = Literal["median", "p50", "p95", "p99", "mean", "min", "max"]
Op = Literal["<=", ">="]
_SYMBOL: dict[str, str] = {"<=": "≤", ">=": "≥"}


@dataclass(frozen=True)
class Target:
    """A bound on one statistic of a benchmark's samples, and why the bound is what it is.

    `op` "<=" bounds a cost (latency: lower is better), ">=" a rate (throughput: higher is
    better).  `source` is that reason in a few words a user can read: what the figure protects
    and why this number ("a UI view makes several calls within one 16 ms frame").
    """

    stat: Stat
    op: Op
    value: float
    source: str

    def __post_init__(self) -> None:
        if self.stat not in get_args(Stat):
            raise ValueError(f"unknown statistic {self.stat!r}; use one of {get_args(Stat)}")
        if self.op not in _SYMBOL:
            raise ValueError(f"a target's op is '<=' or '>=', not {self.op!r}")

    def describe(self) -> str:
        """The target as a person reads it: "p50 ≤ 150 (several calls fit in a frame)"."""
        return f"{self.stat} {_SYMBOL[self.op]} {self.value:g} ({self.source})"

    def observed(self, summary: Summary) -> float:
        """The statistic this target bounds, taken from summary."""
        return summary.stat(self.stat)

    def holds(self, observed: float) -> bool:
        """True when the observed figure is within the bound."""
        return observed <= self.value if self.op == "<=" else observed >= self.value


class NotRun(Exception):
    """Raised by a benchmark that cannot run here; the message says why, in one line.

    The run records the benchmark as "not run" with that reason: neither a failure nor an
    error (a data set the hub cannot ship, say, that a setting names).
    """


@dataclass(frozen=True)
class Context:
    """What the runner gives a benchmark: a private temp folder, the run's scale, the settings.

    Benchmarks size their loops with `count`, so a test can run the real code at a small
    fraction of the full sample counts.  `settings` are the home's (`locomo_path`, say).
    """

    workdir: Path
    scale: float = 1.0
    settings: Settings = field(default_factory=Settings)

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
    """A registered benchmark; the first of its targets is the primary one."""

    name: str
    unit: str
    description: str
    targets: tuple[Target, ...]
    func: BenchmarkFunc

    @property
    def target(self) -> Target:
        """The primary target (what a one-line listing shows)."""
        return self.targets[0]

    def describe_targets(self) -> str:
        """Every target, with the unit: "p50 ≤ 150 µs (…); p99 ≤ 1000 µs (…)"."""
        return "; ".join(f"{t.stat} {_SYMBOL[t.op]} {t.value:g} {self.unit} ({t.source})"
                         for t in self.targets)
