"""Monitor benchmarks: the sampler's cost, leak detection on simulated time, and a soak.

`monitor.overhead` and `monitor.leak_*` drive the real `Monitor` tick by tick with an injected
clock: the first with 30 real idle processes, the others with scripted ones whose RSS is a
function of simulated time, so minutes and hours pass without sleeping.  `soak.rss_growth`
sends mixed traffic to a real core and fits the core's RSS against requests served.
"""

from __future__ import annotations

import logging
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import psutil

from pajamas.config import Settings
from pajamas.errors import from_wire
from pajamas.monitor.probe import Probe, ProbeFactory, ProcessProbe, Reading
from pajamas.monitor.service import Monitor, MonitorConfig
from pajamas.monitor.trend import theil_sen
from pajamas.monitor.watchlist import Watchlist
from pajamas.perf.benchmark import Context, Measurement
from pajamas.perf.cores import throwaway_core
from pajamas.perf.registry import benchmark
from pajamas.rpc import protocol
from pajamas.rpc.client import Client
from pajamas.rpc.stats import RequestStats

MB: Final = 1024 * 1024
HOSTS: Final = 30
WINDOW_TICKS: Final = 10  # one overhead sample per 10 ticks: one leak check in each
GROWTH_MB_PER_MIN: Final = 2.0
GIVE_UP_S: Final = 900.0


# -- scripted processes on a simulated clock ------------------------------------------------


@dataclass
class SimClock:
    """A clock that moves only when told."""

    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class ScriptedProbe:
    """A process whose RSS (bytes) is rss(t) at the clock's time."""

    clock: SimClock
    rss: Callable[[float], float]

    def read(self) -> Reading:
        """The scripted usage now."""
        return Reading(rss=int(self.rss(self.clock.now)), uss=None, cpu_percent=1.0,
                       threads=4, open_files=12)


@dataclass
class Noise:
    """Realistic RSS jitter: Gaussian noise, short spikes, and optional one-off steps."""

    rng: random.Random
    sd_mb: float = 1.5
    steps: list[tuple[float, float]] = field(default_factory=list)  # (time, MB) from then on
    spikes: dict[int, float] = field(default_factory=dict)

    def __call__(self, t: float) -> float:
        second = int(t)
        if second not in self.spikes:  # a 5 MB spike in ~2% of the seconds
            self.spikes[second] = 5.0 if self.rng.random() < 0.02 else 0.0
        step = sum(mb for at, mb in self.steps if t >= at)
        return (self.rng.gauss(0, self.sd_mb) + self.spikes[second] + step) * MB


def simulated_monitor(workdir: Path, clock: SimClock, probes: dict[int, Probe],
                      events: list[tuple[str, Any]], *, settings: Settings | None = None,
                      factory: ProbeFactory | None = None) -> Monitor:
    """A real Monitor over scripted processes, with default settings unless given."""
    return Monitor(MonitorConfig.from_settings(settings or Settings()), workdir,
                   watchlist=Watchlist(clock), publish=lambda t, d: events.append((t, d)),
                   probe_factory=factory or probes.__getitem__, memory=lambda: 8 * 1024 * MB,
                   clock=clock)


def seconds_to_flag(workdir: Path, rss: Callable[[float], float], clock: SimClock,
                    limit_s: float) -> float | None:
    """Simulated seconds from watching a process until its RSS leak is flagged, or None."""
    events: list[tuple[str, Any]] = []
    monitor = simulated_monitor(workdir, clock, {7: ScriptedProbe(clock, rss)}, events)
    start = clock.now
    monitor.watch(7, "plugin_host", "sim")
    with _quiet("pajamas.monitor"):
        while clock.now - start < limit_s:
            clock.now += 1.0
            monitor.tick(clock.now)
            if any(topic == "monitor.alert" and d["kind"] == "leak" for topic, d in events):
                return clock.now - start
    return None


@contextmanager
def _quiet(logger: str) -> Iterator[None]:
    """Keep simulated alerts out of the run's output (the events still record them)."""
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def seeded(seed: int) -> random.Random:
    """A reproducible random source for simulated noise."""
    return random.Random(seed)  # noqa: S311  (noise for a simulation, not a secret)


def grower(seed: int, start: float) -> Callable[[float], float]:
    """150 MB plus 2 MB a minute plus noise."""
    noise = Noise(seeded(seed))
    return lambda t: 150 * MB + GROWTH_MB_PER_MIN * MB * (t - start) / 60 + noise(t)


def flat(seed: int, start: float, hours: float) -> Callable[[float], float]:
    """150 MB plus noise; odd seeds also take one-off steps (caches filling, one freed)."""
    rng = seeded(seed)
    span = hours * 3600
    sizes = () if seed % 2 == 0 else (10.0, -6.0, 20.0)
    steps = [(start + rng.uniform(0, span), mb) for mb in sizes]
    noise = Noise(rng, steps=steps)
    return lambda t: 150 * MB + noise(t)


@benchmark(name="monitor.leak_detect", unit="s")
def leak_detect(ctx: Context) -> Measurement:
    """Simulated seconds until a process growing 2 MB/min (with noise) is flagged."""
    times = []
    for seed in range(ctx.count(20, minimum=2)):
        clock = SimClock()
        flagged = seconds_to_flag(ctx.workdir / f"grow-{seed}", grower(seed, clock.now), clock,
                                  GIVE_UP_S)
        times.append(GIVE_UP_S if flagged is None else flagged)
    return Measurement(times, extra={"growth_mb_per_min": GROWTH_MB_PER_MIN,
                                     "missed": float(sum(t >= GIVE_UP_S for t in times))})


@benchmark(name="monitor.leak_false_alarms", unit="alarms")
def leak_false_alarms(ctx: Context) -> Measurement:
    """Leak alerts raised for a flat process with noise, spikes and steps, per simulated hour."""
    hours = max(0.1, ctx.scale)
    alarms = []
    for seed in range(ctx.count(10, minimum=2)):
        clock = SimClock()
        flagged = seconds_to_flag(ctx.workdir / f"flat-{seed}", flat(seed, clock.now, hours),
                                  clock, hours * 3600)
        alarms.append(0.0 if flagged is None else 1.0)
    return Measurement(alarms, extra={"simulated_hours_each": hours})


# -- the sampler's cost with 30 real processes ---------------------------------------------


@contextmanager
def idle_processes(count: int) -> Iterator[list[int]]:
    """count idle Python processes (plugin-host stand-ins); they exit when their stdin closes."""
    code = "import sys; sys.stdin.read()"
    procs = [subprocess.Popen([sys.executable, "-S", "-c", code], stdin=subprocess.PIPE)
             for _ in range(count)]
    try:
        yield [p.pid for p in procs]
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


@benchmark(name="monitor.overhead", unit="% of a core")
def overhead(ctx: Context) -> Measurement:
    """CPU of the monitor's ticks at 1 s with the core and 30 idle host processes watched.

    Each tick is the real one (psutil reads, history, archive, alerts, the leak check once per
    10 s, msgpack-encoding and signing the event); the clock is simulated, and the sampler
    thread's CPU time per 10 ticks is divided by the 10 s they stand for.
    """
    windows = ctx.count(60, minimum=3)
    with idle_processes(HOSTS) as pids:
        clock, stats = SimClock(), RequestStats()
        monitor = _overhead_monitor(ctx.workdir, clock, stats)
        monitor.watch(os.getpid(), "core", "core")
        for n, pid in enumerate(pids):
            monitor.watch(pid, "plugin_host", f"plugin:sim/host-{n}")
        samples = [_window_cost(monitor, clock, stats) for _ in range(windows + 1)][1:]
    return Measurement(samples, extra={"processes": HOSTS + 1.0, "ticks": windows * 10.0})


def _overhead_monitor(workdir: Path, clock: SimClock, stats: RequestStats) -> Monitor:
    signer = protocol.Signer(b"k" * 64)

    def publish(topic: str, data: Any) -> None:
        signer.sign(protocol.encode_event(topic, data))

    gauges: dict[str, Callable[[], float | None]] = {"core.pending": lambda: 0.0}
    return Monitor(MonitorConfig.from_settings(Settings()), workdir, watchlist=Watchlist(clock),
                   publish=publish, gauges=gauges, requests=stats, probe_factory=ProcessProbe,
                   clock=clock)


def _window_cost(monitor: Monitor, clock: SimClock, stats: RequestStats) -> float:
    """Percent of one core that WINDOW_TICKS ticks at 1 s cost."""
    spent = 0
    for _ in range(WINDOW_TICKS):
        for _ in range(500):  # a core answering 500 requests a second
            stats.record(120_000)
        clock.now += 1.0
        start = time.thread_time_ns()
        monitor.tick(clock.now)
        spent += time.thread_time_ns() - start
    return spent / 1e9 / WINDOW_TICKS * 100


# -- soak ------------------------------------------------------------------------------------

MIX: Final = ("system.ping",) * 8 + (
    "system.info", "monitor.snapshot", "monitor.snapshot", "monitor.history", "monitor.metrics",
    "monitor.alerts", "task.list", "system.methods", "system.health")
PARAMS: Final[dict[str, dict[str, Any]]] = {"monitor.history": {"metric": "core.rss",
                                                                "window_s": 60.0}}
OPTIONAL: Final = ("cache.stats", "cache.stats", "persona.list")
DEPTH: Final = 8
SEGMENTS: Final = 4


@benchmark(name="soak.rss_growth", unit="MB/10k req")
def rss_growth(ctx: Context) -> Measurement:
    """The core's RSS growth per 10,000 requests of mixed traffic, after a 20% warm-up.

    The mix is what the core offers today: system.*, monitor.* and task.* methods, and
    cache.stats and persona.list where they exist, 8 in flight; memory adds, searches and
    plugin calls join it when those services exist.  Samples: the Theil-Sen slope of RSS
    against requests served in each of 4 segments after warm-up; extra: the slope over all
    of them and MB per hour at the rate reached.
    """
    total = ctx.count(120_000, minimum=2_000)
    with throwaway_core(ctx.workdir) as client:
        mix = _mix(client)
        readings, seconds = _drive(client, mix, total, every=max(50, total // 200))
    after = readings[len(readings) // 5:]
    per_10k = _slope_per_10k(after)
    size = len(after) // SEGMENTS
    samples = [_slope_per_10k(after[i * size:(i + 1) * size]) for i in range(SEGMENTS)]
    rate = total / seconds
    return Measurement(samples, extra={
        "requests": float(total), "requests_per_s": rate, "overall_mb_per_10k": per_10k,
        "mb_per_hour": per_10k * rate * 3600 / 10_000, "rss_start_mb": after[0][1],
        "rss_end_mb": after[-1][1], "methods_in_mix": float(len(set(mix)))})


def _mix(client: Client) -> tuple[str, ...]:
    """MIX, plus the read-only methods of services that exist by now."""
    offered = {m["name"] for m in client.call("system.methods")["items"]}
    return tuple(m for m in MIX + OPTIONAL if m in offered)


def _drive(client: Client, mix: tuple[str, ...], total: int,
           every: int) -> tuple[list[tuple[float, float]], float]:
    """Send total requests of the mix, DEPTH in flight; (requests, RSS MB) readings, seconds."""
    core = psutil.Process(client.info.pid)
    readings: list[tuple[float, float]] = []
    start = time.monotonic()
    for n in range(DEPTH):
        client.submit(mix[n % len(mix)], PARAMS.get(mix[n % len(mix)]))
    for n in range(DEPTH, total + DEPTH):
        _check(client.receive())
        if n < total:
            method = mix[n % len(mix)]
            client.submit(method, PARAMS.get(method))
        if n % every == 0:
            readings.append((float(n), core.memory_info().rss / MB))
    return readings, time.monotonic() - start


def _check(reply: protocol.Reply) -> None:
    if reply.error is not None:
        raise from_wire(reply.error)


def _slope_per_10k(readings: list[tuple[float, float]]) -> float:
    trend = theil_sen(readings)
    return 0.0 if trend is None else trend.slope * 10_000
