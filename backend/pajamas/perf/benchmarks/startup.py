"""Start-up benchmarks: how soon a freshly spawned core can be talked to."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Final

from pajamas.errors import CoreNotRunning, HubTimeout
from pajamas.launcher import start_core, stop_core
from pajamas.perf.benchmark import Context, Measurement, Target
from pajamas.perf.cores import core_env
from pajamas.perf.registry import benchmark
from pajamas.perf.timing import NS_PER_MS, since
from pajamas.rpc.connection import CONNECTION_FILE, RUN_DIR

SOURCE: Final = "issue #2 (core start) and #6 (staged start-up)"
POLL_S: Final = 0.001
START_TIMEOUT_S: Final = 30.0


@benchmark(name="startup.core_ready", unit="ms", target=Target("p50", "<=", 300, SOURCE))
def core_ready(ctx: Context) -> Measurement:
    """Spawning `python -m pajamas core` in a fresh home until its connection file exists."""
    env = core_env()
    starts = 1 + ctx.count(10, minimum=2)
    first, *rest = [time_start(ctx.workdir / f"home-{i}", env) for i in range(starts)]
    # The first start also fills the OS's file cache; it is reported, not counted.
    return Measurement(rest, extra={"warmup_ms": first})


def time_start(home: Path, env: dict[str, str]) -> float:
    """Milliseconds from spawning a core for home until it writes its connection file."""
    home.mkdir(parents=True)
    ready = home / RUN_DIR / CONNECTION_FILE
    start = time.perf_counter_ns()
    process = start_core(home, env=env)
    try:
        _wait_for(ready, process)
        return since(start, NS_PER_MS)
    finally:
        stop_core(process)


def _wait_for(ready: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready.exists():
        if process.poll() is not None:
            raise CoreNotRunning(f"the core exited with code {process.returncode} before it was "
                                 f"ready; see {ready.parent.parent / 'logs' / 'core.out'}")
        if time.monotonic() > deadline:
            raise HubTimeout(f"the core wrote no {ready} within {START_TIMEOUT_S:g} s")
        time.sleep(POLL_S)
