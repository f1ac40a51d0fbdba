"""Start-up and shut-down benchmarks: how soon a freshly spawned core can be talked to, and
how soon a core that is told to stop has stopped."""

from __future__ import annotations

import signal
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any, Final

from pajamas.errors import CoreNotRunning, HubError, HubTimeout
from pajamas.launcher import start_core, stop_core
from pajamas.perf import pagecache
from pajamas.perf.benchmark import Context, Measurement, NotRun
from pajamas.perf.cores import core_env
from pajamas.perf.registry import benchmark
from pajamas.perf.timing import NS_PER_MS, since
from pajamas.rpc.client import Client
from pajamas.rpc.connection import CONNECTION_FILE, RUN_DIR

POLL_S: Final = 0.001
START_TIMEOUT_S: Final = 30.0


@benchmark(name="startup.core_ready", unit="ms")
def core_ready(ctx: Context) -> Measurement:
    """Spawning `python -m pajamas core` in a fresh home until its connection file exists.

    Cold (the page cache dropped before each start) where the OS allows it, else warm: the
    extra figure "page_cache" says which.
    """
    env = core_env()
    starts = 1 + ctx.count(10, minimum=2)
    cold = pagecache.can_drop()
    first, *rest = [time_start(ctx.workdir / f"home-{i}", env, cold=cold)
                    for i in range(starts)]
    # The first start also fills the OS's file cache (when warm); it is reported, not counted.
    return Measurement(rest, extra={"warmup_ms": first, **pagecache.label(cold)})


@benchmark(name="startup.all_stages", unit="ms")
def all_stages(ctx: Context) -> Measurement:
    """Spawning a core in a fresh home until its last start-up stage is done.

    The end is the stage's own finish time, as system.health reports it, so polling does not
    add to it.  Cold where the OS allows it (see startup.core_ready).  Extra figures: each
    stage's median duration in ms, and "page_cache".
    """
    env = core_env()
    cold = pagecache.can_drop()
    runs = [time_stages(ctx.workdir / f"stages-{i}", env, cold=cold)
            for i in range(ctx.count(6, minimum=2))]
    extra: dict[str, float | str] = {f"{name}_ms": statistics.median(run[1][name] for run in runs)
                                     for name in runs[0][1]}
    return Measurement([total for total, _ in runs], extra={**extra, **pagecache.label(cold)})


@benchmark(name="shutdown.core_stop", unit="ms")
def core_stop(ctx: Context) -> Measurement:
    """From SIGTERM to the clean exit of an idle core whose start-up stages are all done."""
    if not hasattr(signal, "SIGKILL"):  # Windows: a signal there ends a process at once
        raise NotRun("Windows has no SIGTERM to ask a core to stop; its stop is not measured")
    env = core_env()
    return Measurement([time_stop(ctx.workdir / f"stop-{run}", env)
                        for run in range(ctx.count(6, minimum=2))])


def time_stop(home: Path, env: dict[str, str]) -> float:
    """Milliseconds from SIGTERM until home's new, fully started core exited cleanly."""
    home.mkdir(parents=True)
    process = start_core(home, env=env)
    try:
        _wait_for(home / RUN_DIR / CONNECTION_FILE, process)
        with Client.for_home(home) as client:
            _finished_stages(client)
        start = time.perf_counter_ns()
        process.send_signal(signal.SIGTERM)
        code = process.wait(START_TIMEOUT_S)
        stopped = since(start, NS_PER_MS)
    finally:
        stop_core(process)
    if code != 0:
        raise HubError(f"the core exited with code {code} on SIGTERM; see {home / 'logs'}")
    return stopped


def time_stages(home: Path, env: dict[str, str], *,
                cold: bool = False) -> tuple[float, dict[str, float]]:
    """(ms from spawning a core until its last stage finished, each stage's duration in ms)."""
    home.mkdir(parents=True)
    if cold:
        pagecache.drop()
    spawned = time.time()  # wall clock: the core reports its stages' finish times in it
    process = start_core(home, env=env)
    try:
        _wait_for(home / RUN_DIR / CONNECTION_FILE, process)
        with Client.for_home(home) as client:
            stages = _finished_stages(client)
    finally:
        stop_core(process)
    last = max(s["finished_at"] for s in stages)
    return (last - spawned) * 1000, {s["stage"]: s["duration_s"] * 1000 for s in stages}


def _finished_stages(client: Client) -> list[dict[str, Any]]:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        stages: list[dict[str, Any]] = client.call("system.health")["stages"]
        if stages and all(s["status"] not in ("pending", "running") for s in stages):
            failed = [f"{s['stage']} {s['error']}" for s in stages if s["status"] != "done"]
            if failed:
                raise HubError(f"start-up stages did not finish: {'; '.join(failed)}")
            return stages
        time.sleep(0.01)
    raise HubTimeout(f"the core's start-up stages did not finish within {START_TIMEOUT_S:g} s")


def time_start(home: Path, env: dict[str, str], *, cold: bool = False) -> float:
    """Milliseconds from spawning a core for home until it writes its connection file."""
    home.mkdir(parents=True)
    if cold:
        pagecache.drop()
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
