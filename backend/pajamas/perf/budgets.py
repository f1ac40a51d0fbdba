"""Budgets: the bounds a run's figures are held to, and why each is what it is.

They live in one file, not in the benchmarks' code: `budgets.toml` beside this module (shipped
in the package), overridable by `<home>/perf/budgets.toml`.  Each entry is keyed by a
benchmark's name and gives a statistic, a comparison, a value (in the benchmark's unit) and a
reason a user can read::

    [["rpc.roundtrip"]]
    stat = "p50"          # median, p50, p95, p99, mean, min or max
    op = "<="             # "<=" bounds a cost, ">=" a rate
    value = 150
    reason = "several calls must fit in one 16 ms frame"

A benchmark may have several entries; its first is its primary target.  The home's file
replaces the shipped entries of each benchmark it names (`"rpc.roundtrip" = []`, at the top
of the file, before any table, removes them).  A benchmark without entries has no target:
its figures are recorded, never failed.

The `compare` table gives a benchmark whose median moves more than 1.1x between runs of the
same code its own threshold for `perf compare`, with the reason::

    [compare."startup.core_ready"]
    threshold = 1.5
    reason = "a cold start reads its files from disk, whose speed varies between minutes"
"""

from __future__ import annotations

import importlib.resources
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, get_args

from pajamas.errors import ConfigError
from pajamas.perf.stats import Summary

Stat = Literal["median", "p50", "p95", "p99", "mean", "min", "max"]
Op = Literal["<=", ">="]
FILE: Final = "budgets.toml"
HOME_FILE: Final = Path("perf") / FILE
_SYMBOL: Final = {"<=": "≤", ">=": "≥"}
_KEYS: Final = {"stat", "op", "value", "reason"}
_THRESHOLD_KEYS: Final = {"threshold", "reason"}
#: The table of per-benchmark comparison thresholds (no benchmark's name lacks a dot).
COMPARE: Final = "compare"
# A reason is for a user who cloned the repository: it says why, never where it was decided.
_ISSUE_REF: Final = re.compile(r"#\d+|\bissue\s+\d+", re.IGNORECASE)


@dataclass(frozen=True)
class Target:
    """A bound on one statistic of a benchmark's samples, and why the bound is what it is.

    `op` "<=" bounds a cost (latency: lower is better), ">=" a rate (throughput: higher is
    better).  `source` is the reason, in words a user reads in the report.
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


@dataclass(frozen=True)
class Threshold:
    """How far a benchmark's median may move between two runs before a comparison calls it
    slower or faster (a ratio above 1), and why it is not the default."""

    ratio: float
    reason: str


@dataclass(frozen=True)
class Budgets:
    """Every benchmark's targets and comparison thresholds, by name, and the files they were
    read from."""

    targets: Mapping[str, tuple[Target, ...]] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    thresholds: Mapping[str, Threshold] = field(default_factory=dict)

    def ratios(self) -> dict[str, float]:
        """Each benchmark's own comparison threshold, by name (for `compare`)."""
        return {name: t.ratio for name, t in self.thresholds.items()}

    def of(self, name: str) -> tuple[Target, ...]:
        """The targets of the benchmark called name (none when it has no budget)."""
        return self.targets.get(name, ())

    def describe(self, name: str, unit: str) -> str:
        """Every target of name, with the unit: "p50 ≤ 150 µs (…); p99 ≤ 1000 µs (…)"."""
        return "; ".join(f"{t.stat} {_SYMBOL[t.op]} {t.value:g} {unit} ({t.source})"
                         for t in self.of(name)) or "no budget"


def shipped_text() -> str:
    """The text of the budgets file shipped with the package."""
    return importlib.resources.files("pajamas.perf").joinpath(FILE).read_text(encoding="utf-8")


def load(home: Path | None = None) -> Budgets:
    """The shipped budgets, with `<home>/perf/budgets.toml` over them when there is one.

    Raises `ConfigError` naming the file and the entry when a file is malformed.
    """
    shipped = parse(shipped_text(), f"the package's {FILE}")
    if home is None or not (home / HOME_FILE).is_file():
        return Budgets(shipped.targets, (f"package:{FILE}",), shipped.thresholds)
    path = home / HOME_FILE
    overrides = parse(path.read_text(encoding="utf-8"), str(path))
    return Budgets({**shipped.targets, **overrides.targets}, (f"package:{FILE}", str(path)),
                   {**shipped.thresholds, **overrides.thresholds})


def parse(text: str, where: str) -> Budgets:
    """The targets and thresholds a budgets file's text declares; where names the file in
    errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}", setting="budgets") from None
    table = data.pop(COMPARE, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: {COMPARE!r} must be a table of benchmarks' thresholds",
                          setting="budgets")
    return Budgets({name: tuple(_target(entry, name, where)
                                for entry in _entries(entries, name, where))
                    for name, entries in data.items()},
                   thresholds={name: _threshold(entry, name, where)
                               for name, entry in table.items()})


def _threshold(entry: Any, name: str, where: str) -> Threshold:
    if not isinstance(entry, dict) or set(entry) != _THRESHOLD_KEYS:
        got = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
        raise ConfigError(f"{where}: the comparison threshold of {name!r} has exactly the keys "
                          f"{sorted(_THRESHOLD_KEYS)}, not {got}", setting="budgets",
                          benchmark=name)
    ratio = entry["threshold"]
    if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 1 < ratio <= 10:
        raise ConfigError(f"{where}: the comparison threshold of {name!r} is a ratio above 1 "
                          f"and at most 10, not {ratio!r}", setting="budgets", benchmark=name)
    return Threshold(float(ratio), _reason(entry["reason"], name, where))


def _reason(reason: Any, name: str, where: str) -> str:
    if not isinstance(reason, str) or not reason.strip() or _ISSUE_REF.search(reason):
        raise ConfigError(f"{where}: the budget of {name!r} needs a reason a user can read, "
                          f"citing no issue number, not {reason!r}", setting="budgets",
                          benchmark=name)
    return reason.strip()


def _entries(entries: Any, name: str, where: str) -> list[Any]:
    if not isinstance(entries, list):
        raise ConfigError(f"{where}: budget {name!r} must be a list of entries "
                          f'([["{name}"]] tables), not {type(entries).__name__}',
                          setting="budgets", benchmark=name)
    return entries


def _target(entry: Any, name: str, where: str) -> Target:
    if not isinstance(entry, dict) or set(entry) != _KEYS:
        got = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
        raise ConfigError(f"{where}: each budget of {name!r} has exactly the keys "
                          f"{sorted(_KEYS)}, not {got}", setting="budgets", benchmark=name)
    reason = _reason(entry["reason"], name, where)
    value = entry["value"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: the budget of {name!r} has value {value!r}; give a number",
                          setting="budgets", benchmark=name)
    try:
        return Target(entry["stat"], entry["op"], float(value), reason)
    except ValueError as exc:
        raise ConfigError(f"{where}: the budget of {name!r}: {exc}", setting="budgets",
                          benchmark=name) from None
