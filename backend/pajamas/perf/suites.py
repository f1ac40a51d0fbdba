"""Suites: which benchmarks a run measures, and at what scale.

`quick` is the hub's vital signs (a couple of minutes: 5 short repetitions, so that two quick
runs compare by repetition, see `compare`), `full` everything at full size, and
each group (`rpc`, `memory`, ...) the benchmarks whose names start with its prefixes.  A
benchmark belongs to the group of its name's first part; `GROUPS` maps the few first parts
that are not a group's name (`shutdown`, `shell`, `soak`) to one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pajamas.errors import NotFound
from pajamas.perf.benchmark import Benchmark
from pajamas.perf.registry import Registry, matches

#: Each group and the name prefixes it runs.
GROUPS: Final[dict[str, tuple[str, ...]]] = {
    "rpc": ("rpc",), "memory": ("memory",), "cache": ("cache",), "plugin": ("plugin",),
    "chat": ("chat",), "ui": ("ui", "shell"), "monitor": ("monitor",),
    "startup": ("startup", "shutdown"), "load": ("load", "soak"), "chaos": ("chaos",),
}
#: The vital signs: one or two figures for each part of the hub a user feels.
QUICK: Final = (
    "rpc.roundtrip", "rpc.throughput", "startup.core_ready", "cache.hot_get", "cache.warm_get",
    "cache.cold_get", "memory.add", "memory.search", "plugin.call_overhead", "plugin.spawn",
    "monitor.overhead", "shell.pool_shutdown",
)
QUICK_SCALE: Final = 0.1
#: 5 repetitions against 5 are the fewest whose medians can tell a change at p < 0.01.
QUICK_REPEAT: Final = 5


@dataclass(frozen=True)
class Suite:
    """A named choice of benchmarks (None: all of them), the scale they run at, and how many
    times each runs unless a run says otherwise."""

    name: str
    patterns: tuple[str, ...] | None
    scale: float
    description: str
    repeat: int = 1

    def select(self, registry: Registry) -> list[Benchmark]:
        """The registered benchmarks of this suite, in suite order (unknown patterns skipped).

        A group may have no benchmark yet (chat, ui): a suite runs what is registered.
        Raises `NotFound` when the suite selects none.
        """
        if self.patterns is None:
            return list(registry)
        chosen = [b for b in registry if any(matches(b.name, p) for p in self.patterns)]
        if not chosen:
            raise NotFound(f"suite {self.name!r} has no benchmark registered here "
                           f"(it runs {', '.join(self.patterns)})", suite=self.name)
        return chosen


SUITES: Final[dict[str, Suite]] = {
    "quick": Suite("quick", QUICK, QUICK_SCALE, "the hub's vital signs, a couple of minutes",
                   QUICK_REPEAT),
    "full": Suite("full", None, 1.0, "every benchmark at full size"),
    **{name: Suite(name, prefixes, 1.0, f"every {name} benchmark at full size")
       for name, prefixes in GROUPS.items()},
}


def suite(name: str) -> Suite:
    """The suite called name; `NotFound` listing the suites when there is none."""
    try:
        return SUITES[name]
    except KeyError:
        raise NotFound(f"no suite {name!r}; the suites are {', '.join(SUITES)}",
                       suite=name) from None


def group_of(name: str) -> str:
    """The group a benchmark's name puts it in ("other" when no group claims it)."""
    for group, prefixes in GROUPS.items():
        if any(matches(name, p) for p in prefixes):
            return group
    return "other"
