"""Chaos: one store damaged while the core is down (a power cut, a bad sector), then a start.

Each benchmark runs a scenario of `pajamas.perf.corruption` (the tests run the same ones):
a cold cache file, the warm cache's SQLite, a persona's LanceDB data file, a journal's tail
or hub.db damaged, a new core started, and (for the memory) `memory.repair` run.  A sample is
the acknowledged writes lost in one trial (memories, or personas for hub.db); extra says
whether the core served through it and how long it took to serve everything again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

from pajamas.perf.benchmark import Context, Measurement
from pajamas.perf.corruption import (
    Outcome,
    corrupt_cold_cache,
    corrupt_hub_db,
    corrupt_journal_tail,
    corrupt_lance,
    corrupt_warm_cache,
)
from pajamas.perf.registry import benchmark

UNIT: Final = "writes lost"
Scenario = Callable[[Path, dict[str, str]], Outcome]


def _trials(ctx: Context, scenario: Scenario) -> Measurement:
    """Run scenario a few times (by the scale): the losses, and the last trial's figures."""
    from pajamas.perf.benchmarks.memory import model_folder  # noqa: PLC0415

    settings = {"PAJAMAS_EMBEDDING_MODEL_DIR": str(model_folder())}
    outcomes = [scenario(ctx.workdir / f"trial-{n}", settings)
                for n in range(ctx.count(3, minimum=1))]
    return Measurement(
        samples=[float(o.lost + o.duplicated) for o in outcomes],
        extra={"survived": float(all(o.survived and o.others_ok for o in outcomes)),
               "acknowledged": float(sum(o.acknowledged for o in outcomes)),
               "recovery_s": max(o.recovery_s for o in outcomes),
               "fault": outcomes[0].fault})


@benchmark(name="chaos.corrupt_cold_cache", unit=UNIT)
def cold_cache(ctx: Context) -> Measurement:
    """Every cold cache file overwritten: each a miss, removed and told; nothing lost."""
    return _trials(ctx, corrupt_cold_cache)


@benchmark(name="chaos.corrupt_warm_cache", unit=UNIT)
def warm_cache(ctx: Context) -> Measurement:
    """The warm cache's SQLite overwritten: moved aside and rebuilt at start; nothing lost."""
    return _trials(ctx, corrupt_warm_cache)


@benchmark(name="chaos.corrupt_lance", unit=UNIT)
def lance(ctx: Context) -> Measurement:
    """A persona's LanceDB data file overwritten: it fails alone; memory.repair restores it."""
    return _trials(ctx, corrupt_lance)


@benchmark(name="chaos.corrupt_journal_tail", unit=UNIT)
def journal_tail(ctx: Context) -> Measurement:
    """A journal's last record torn and overwritten: every whole record before it replayed."""
    return _trials(ctx, corrupt_journal_tail)


@benchmark(name="chaos.corrupt_hub_db", unit=UNIT)
def hub_db(ctx: Context) -> Measurement:
    """hub.db overwritten in the middle: salvaged at start (personas lost count as writes)."""
    return _trials(ctx, corrupt_hub_db)
