"""Chaos benchmarks: process faults with nothing acknowledged lost.

Each `chaos.<fault>` runs the fault's scenario (pajamas.perf.faults, which the tests run small)
over several trials whose moment of the fault is drawn at random from events (the nth
acknowledged add, a task's progress, a plugin call starting).  The unit is acknowledged writes
lost per trial (a budget of 0); the extra figures say whether the hub survived every trial,
how many writes were acknowledged, and the slowest recovery (the fault to serving again).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Final

from pajamas.perf.benchmark import Context, Measurement, NotRun
from pajamas.perf.benchmarks.memory import model_folder
from pajamas.perf.faults import model_death
from pajamas.perf.faults.core_kill import Plan, Work, kill_during
from pajamas.perf.faults.outcome import Outcome, measurement
from pajamas.perf.faults.plugin_kill import kill_hosts
from pajamas.perf.registry import benchmark

TRIALS: Final = 4  # a kill -9 trial of the core takes half a minute: two starts and the work
UNIT: Final = "writes lost"


def _core_trials(ctx: Context, work: Work, seed: int) -> Measurement:
    rng = random.Random(seed)  # noqa: S311  (the moments' choice, not a secret)
    model = model_folder()
    outcomes: list[Outcome] = []
    for trial in range(ctx.count(TRIALS, minimum=2)):
        plan = Plan(seed=rng.randrange(1 << 30), size=rng.randint(ctx.count(100), ctx.count(400)),
                    extra=rng.randint(0, 4), fraction=rng.uniform(0.0, 0.8))
        workdir = Path(ctx.workdir) / f"{work}-{trial}"
        workdir.mkdir(parents=True, exist_ok=True)
        outcomes.append(kill_during(work, workdir, model, plan))
    return measurement(outcomes)


@benchmark(name="chaos.kill_core_adds", unit=UNIT)
def kill_core_adds(ctx: Context) -> Measurement:
    """kill -9 of the core after a random number of acknowledged adds and add batches."""
    return _core_trials(ctx, "adds", 11)


@benchmark(name="chaos.kill_core_import", unit=UNIT)
def kill_core_import(ctx: Context) -> Measurement:
    """kill -9 of the core at a random point of a memory import, adds going on."""
    return _core_trials(ctx, "import", 12)


@benchmark(name="chaos.kill_core_compaction", unit=UNIT)
def kill_core_compaction(ctx: Context) -> Measurement:
    """kill -9 of the core during a compaction, adds going on."""
    return _core_trials(ctx, "compaction", 13)


@benchmark(name="chaos.kill_core_consolidation", unit=UNIT)
def kill_core_consolidation(ctx: Context) -> Measurement:
    """kill -9 of the core while consolidation merges duplicates, adds going on."""
    return _core_trials(ctx, "consolidation", 14)


@benchmark(name="chaos.kill_core_backup", unit=UNIT)
def kill_core_backup(ctx: Context) -> Measurement:
    """kill -9 of the core during a backup: no half archive is left as a backup."""
    return _core_trials(ctx, "backup", 15)


@benchmark(name="chaos.kill_plugin_host", unit=UNIT)
def kill_plugin_host(ctx: Context) -> Measurement:
    """kill -9 of plugin hosts mid-call: plugin_failed within 1 s, other personas unaffected."""
    return measurement(kill_hosts(Path(ctx.workdir), trials=ctx.count(10, minimum=2), seed=21))


@benchmark(name="chaos.kill_model_server", unit=UNIT)
def kill_model_server(ctx: Context) -> Measurement:
    """The embedded model's server killed mid-reply: the reply ends in an error, the next works."""
    why = model_death.available()
    if why is not None:
        raise NotRun(why)
    return measurement(model_death.kill_model_mid_reply(Path(ctx.workdir),
                                                        trials=ctx.count(3, minimum=1)))
