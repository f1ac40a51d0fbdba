"""The registry of benchmarks: `@benchmark` adds one, `select` picks them for a run.

Benchmark modules register themselves when imported; `perf/suite.py` imports them all, and
`all_benchmarks()` imports the suite, so registration costs nothing until the suite is asked for.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable, Iterator

from pajamas.errors import Conflict, NotFound
from pajamas.perf.benchmark import Benchmark, BenchmarkFunc, Better

SUITE_MODULE = "pajamas.perf.suite"


class Registry:
    """Benchmarks by name, in the order they were registered."""

    def __init__(self) -> None:
        self._benchmarks: dict[str, Benchmark] = {}

    def add(self, bench: Benchmark) -> Benchmark:
        """Register bench; its name must be new (its budget lives in budgets.toml)."""
        if bench.name in self._benchmarks:
            raise Conflict(f"a benchmark named {bench.name!r} is already registered; "
                           "benchmark names are unique", benchmark=bench.name)
        if bench.warmup < 0:
            raise ValueError(f"benchmark {bench.name!r}: warmup is 0 or more, not {bench.warmup}")
        self._benchmarks[bench.name] = bench
        return bench

    def benchmark(self, *, name: str, unit: str, better: Better = "lower", warmup: int = 0,
                  description: str | None = None) -> Callable[[BenchmarkFunc], BenchmarkFunc]:
        """Decorator: register the function as a benchmark (its docstring is the description).

        `better` is "higher" for rates and scores; `warmup` counts the leading samples of each
        repetition to leave out of the figures.  Targets go in budgets.toml, not here.
        """

        def register(func: BenchmarkFunc) -> BenchmarkFunc:
            doc = description or inspect.cleandoc(func.__doc__ or "").split("\n", 1)[0]
            self.add(Benchmark(name, unit, doc, func, better, warmup))
            return func

        return register

    def __iter__(self) -> Iterator[Benchmark]:
        return iter(self._benchmarks.values())

    def __len__(self) -> int:
        return len(self._benchmarks)

    def select(self, only: Iterable[str] | None) -> list[Benchmark]:
        """The benchmarks named by only (names or dotted prefixes such as "rpc"); all if None.

        Raises `NotFound` listing the known names when a pattern matches nothing.
        """
        if only is None:
            return list(self)
        patterns = list(only)
        unknown = [p for p in patterns if not any(matches(b.name, p) for b in self)]
        if unknown:
            known = ", ".join(b.name for b in self) or "none"
            raise NotFound(f"no benchmark matches {', '.join(map(repr, unknown))}; "
                           f"known benchmarks: {known}", benchmarks=unknown)
        return [b for b in self if any(matches(b.name, p) for p in patterns)]


def matches(name: str, pattern: str) -> bool:
    """Whether pattern names name, or a dotted prefix of it ("rpc" matches rpc.roundtrip)."""
    # A prefix counts at a dot boundary, so "rpc" selects rpc.* but "rp" selects nothing.
    stem = pattern.rstrip(".")
    return name == stem or name.startswith(stem + ".")


#: The hub's own benchmarks (filled by the modules `suite.py` imports).
REGISTRY = Registry()
#: Register a function as one of the hub's benchmarks; see `Registry.benchmark`.
benchmark = REGISTRY.benchmark


def default_registry() -> Registry:
    """The hub's registry with every benchmark module of the suite imported."""
    importlib.import_module(SUITE_MODULE)
    return REGISTRY


def all_benchmarks() -> list[Benchmark]:
    """Every benchmark of the suite, in suite order."""
    return list(default_registry())
