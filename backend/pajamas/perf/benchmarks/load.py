"""Load benchmarks: the hub under a realistic mixed load, and overloaded.

`load.mixed` runs 10 personas of 10,000 memories each (text-stats enabled, a conversation
each) on a throwaway core and 16 concurrent clients that, for the setting `load_duration_s`
(180 s; longer for a soak), each send one request after another: memory.search 50%,
memory.add 25%, text-stats through plugin.call 15%, chat.prompt 10%.  `load.overload` offers
4 times what the core served in that mix and watches what it answers.

Budgets apply to samples, so each figure held to a bound is a benchmark of its own:
`load.mixed_errors` and `load.mixed_rss` read the run `load.mixed` just made (in this
process, at the same scale and duration, within `REUSE_S`) instead of loading the core again,
and run their own when there is none; `load.overload_ping` and `load.overload_recovery` read
`load.overload`'s the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Final, TypeVar, cast

from pajamas.errors import HubError
from pajamas.monitor.trend import theil_sen
from pajamas.perf.benchmark import Context, Measurement
from pajamas.perf.benchmarks.memory import memory_core, texts
from pajamas.perf.load_fleet import build_fleet
from pajamas.perf.load_traffic import (
    Outcome,
    RssTrail,
    closed_loop,
    errors_per_second,
    latency_figures,
    per_second,
)
from pajamas.perf.overload import GIVE_UP_S, OverloadReport, overload, summary
from pajamas.perf.registry import benchmark
from pajamas.perf.stats import percentile
from pajamas.rpc.client import Client

CLIENTS: Final = 16
PERSONAS: Final = 10
MEMORIES: Final = 10_000
WARMUP_SHARE: Final = 0.2  # the first 20% of a run is left out of its figures
SEGMENTS: Final = 4
VECTOR_BYTES: Final = 384 * 4  # each memory added keeps its float32 vector in the core's RSS
MB: Final = 1024 * 1024
REUSE_S: Final = 600.0
OVERLOAD_FACTOR: Final = 4.0
T = TypeVar("T")


# -- one run shared by the figures of a load ----------------------------------------------


@dataclass
class _Shared:
    """The last run of each kind, and which of its figures' benchmarks have read it."""

    runs: dict[Hashable, tuple[float, object, set[str]]] = field(default_factory=dict)

    def take(self, key: Hashable, reader: str, make: Callable[[], T]) -> T:
        """The run for key not yet read by reader (made now when there is none)."""
        at, run, read = self.runs.get(key, (0.0, None, {"*"}))
        if run is None or reader in read or time.monotonic() - at > REUSE_S:
            run, read = make(), set()
            self.runs[key] = (time.monotonic(), run, read)
        read.add(reader)
        return cast(T, run)  # keyed by kind: a run of the kind make returns


_SHARED = _Shared()


# -- load.mixed ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MixedRun:
    """A mixed load's requests, the core's RSS meanwhile and how long it ran."""

    outcomes: list[Outcome]
    readings: list[tuple[int, int, float]]
    gauges: list[tuple[int, dict[str, float | None]]]  # (requests answered, the core's gauges)
    seconds: float
    personas: int
    memories: int


def mixed_run(ctx: Context) -> MixedRun:
    """Build the personas and run the mixed load on a throwaway core (see the module)."""
    seconds = max(1.0, ctx.settings.load_duration_s * ctx.scale)
    personas, memories = ctx.count(PERSONAS, minimum=2), ctx.count(MEMORIES, minimum=200)
    with memory_core(ctx.workdir) as client:
        fleet = build_fleet(client, ctx.workdir / "home", texts(ctx), personas, memories)
        outcomes: list[Outcome] = []
        with Client(client.info, retry_busy=True) as watcher:  # the trail's thread's only
            trail = RssTrail(client.info.pid, outcomes, gauges=lambda: _gauges(watcher))
            trail.start()
            try:
                closed_loop(client.info, fleet, CLIENTS, seconds, outcomes)
            finally:
                trail.stop()
    return MixedRun(outcomes, trail.readings, trail.gauge_readings, seconds, personas,
                    memories)


def _gauges(client: Client) -> dict[str, float | None]:
    """The core's gauges in its monitor's latest sample ({} when the core sheds the call
    past the client's retries: that reading goes without)."""
    try:
        gauges: dict[str, float | None] = client.call("monitor.snapshot").get("gauges") or {}
    except HubError:
        return {}
    return gauges


def _mixed(ctx: Context, reader: str) -> MixedRun:
    key = ("mixed", ctx.scale, ctx.settings.load_duration_s)
    return _SHARED.take(key, reader, lambda: mixed_run(ctx))


@benchmark(name="load.mixed", unit="req/s", better="higher")
def mixed(ctx: Context) -> Measurement:
    """Requests answered per second under the mixed load of 16 clients on 10 personas.

    Samples: the requests answered in each whole second after the first 20% of the run.
    Extra: p50/p99 (ms) and count of each method, the error rate (%), the requests the
    clients sent again after a busy reply (as the hub's clients do), the core's RSS slope
    (MB per 10,000 requests: as measured, and net of the vectors the adds keep), the run's
    size.  Knobs: the setting load_duration_s (scaled by ctx), personas 10 (at least 2),
    memories 10,000 each (at least 200), clients 16.
    """
    run = _mixed(ctx, "load.mixed")
    skip = WARMUP_SHARE * run.seconds
    samples = per_second(run.outcomes, skip) or [len(run.outcomes) / run.seconds]
    failed = sum(o.error is not None for o in run.outcomes)
    return Measurement(samples, extra={
        **latency_figures(run.outcomes), "requests": float(len(run.outcomes)),
        "error_rate_pct": 100.0 * failed / max(1, len(run.outcomes)),
        "busy_retries": float(sum(o.retries for o in run.outcomes)),
        "rss_slope_mb_per_10k": _slope(_after_warmup(run.readings), net=False),
        "rss_net_slope_mb_per_10k": _slope(_after_warmup(run.readings), net=True),
        "seconds": run.seconds, "clients": float(CLIENTS), "personas": float(run.personas),
        "memories_each": float(run.memories)})


@benchmark(name="load.mixed_errors", unit="% failed")
def mixed_errors(ctx: Context) -> Measurement:
    """The share of requests answered with an error under load.mixed, per second (target 0).

    Samples: percent of the requests answered in each second after the first 20% that were
    errors.  Extra: the count of each error code.
    """
    run = _mixed(ctx, "load.mixed_errors")
    samples = errors_per_second(run.outcomes, WARMUP_SHARE * run.seconds) or [0.0]
    codes: dict[str, float] = {}
    for outcome in run.outcomes:
        if outcome.error is not None:
            codes[f"errors.{outcome.error}"] = codes.get(f"errors.{outcome.error}", 0.0) + 1
    return Measurement(samples, extra={"requests": float(len(run.outcomes)), **codes})


@benchmark(name="load.mixed_rss", unit="MB/10k req")
def mixed_rss(ctx: Context) -> Measurement:
    """The core's RSS growth per 10,000 requests of load.mixed, beyond the memories it adds.

    Each memory added keeps its vector (1.5 KB) in the core's RAM for search: that is data,
    not a leak, so it is taken off each RSS reading before the fit.  Samples: the Theil-Sen
    slope of that RSS against requests answered in each of 4 segments after the first 20%.
    Extra: the slope over all of them, as measured and net, the RSS at both ends, and how
    much the RSS and each of the core's gauges grew over that part of the run ("grew.<gauge>":
    the bounded caches' sizes, so growth that stops at their limits shows for what it is).
    """
    run = _mixed(ctx, "load.mixed_rss")
    after = _after_warmup(run.readings)
    samples = [_slope(s, net=True) for s in segments(after) if len(s) >= 3] or [0.0]
    rss = [mb for _, _, mb in after] or [0.0]
    return Measurement(samples, extra={
        "overall_mb_per_10k": _slope(after, net=False),
        "overall_net_mb_per_10k": _slope(after, net=True),
        "rss_start_mb": rss[0], "rss_end_mb": rss[-1], "grew.rss_mb": rss[-1] - rss[0],
        **_gauge_growth(run.gauges[int(len(run.gauges) * WARMUP_SHARE):]),
        "memories_added": float(after[-1][1] - after[0][1]) if after else 0.0})


def _gauge_growth(readings: list[tuple[int, dict[str, float | None]]]) -> dict[str, float]:
    """Each gauge's last reading less its first, as "grew.<gauge>" (readings the core shed
    left out)."""
    read = [gauges for _, gauges in readings if gauges]
    if len(read) < 2:
        return {}
    first, last = read[0], read[-1]
    return {f"grew.{name}": value - before for name, value in last.items()
            if value is not None and (before := first.get(name)) is not None}


def segments(readings: list[T], count: int = SEGMENTS, least: int = 3) -> list[list[T]]:
    """readings cut into count runs of consecutive readings (fewer, of least each, when there
    are not enough); the last takes the remainder, so no short tail makes a figure of its own
    (a few readings as the clients stop gave a slope of -1,818 MB per 10,000 requests)."""
    size = max(least, len(readings) // count)
    cuts = [readings[i:i + size] for i in range(0, len(readings), size)]
    if len(cuts) > 1 and len(cuts[-1]) < size:
        cuts[-2:] = [cuts[-2] + cuts[-1]]
    return cuts


def _after_warmup(readings: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    return readings[int(len(readings) * WARMUP_SHARE):]


def _slope(readings: list[tuple[int, int, float]], *, net: bool) -> float:
    """MB per 10,000 requests of the readings' RSS (net: less the added vectors)."""
    points = [(float(done), mb - (adds * VECTOR_BYTES / MB if net else 0.0))
              for done, adds, mb in readings]
    trend = theil_sen(points)
    return 0.0 if trend is None else trend.slope * 10_000


# -- load.overload ---------------------------------------------------------------------------


def overload_run(ctx: Context) -> OverloadReport:
    """Overload a throwaway core with the mixed load (see `perf.overload`)."""
    personas, memories = ctx.count(PERSONAS, minimum=2), ctx.count(MEMORIES, minimum=200)
    with memory_core(ctx.workdir) as client:
        fleet = build_fleet(client, ctx.workdir / "home", texts(ctx), personas, memories)
        return overload(client.info, fleet, clients=CLIENTS,
                        capacity_s=max(1.0, 15.0 * ctx.scale),
                        burst_s=max(0.5, 20.0 * ctx.scale), factor=OVERLOAD_FACTOR)


def _overload(ctx: Context, reader: str) -> OverloadReport:
    return _SHARED.take(("overload", ctx.scale), reader, lambda: overload_run(ctx))


@benchmark(name="load.overload", unit="ms")
def overload_busy(ctx: Context) -> Measurement:
    """How fast an overloaded core answers busy: offered 4 times the mixed load it serves.

    The core's capacity is measured first (16 closed-loop clients, 15 s), then the same mix
    is sent open-loop at 4 times that rate for 20 s, with no limit on the requests in
    flight.  Samples: the latency (ms) of each busy reply.  Extra: capacity and offered rate,
    replies by code, the accepted requests' p50/p99, the core's RSS before, at its peak and
    at the end, the recovery and the pings (their own benchmarks hold their bounds).
    """
    report = _overload(ctx, "load.overload")
    busy = report.latencies("busy")
    accepted = sorted(report.latencies("ok"))
    extra = {**summary(report)}
    if accepted:
        extra |= {"ok_p50_ms": percentile(accepted, 50), "ok_p99_ms": percentile(accepted, 99)}
    return Measurement(busy or [0.0], extra={**extra, "busy_replies": float(len(busy))})


@benchmark(name="load.overload_ping", unit="ms")
def overload_ping(ctx: Context) -> Measurement:
    """`system.ping`'s round trip while the core is overloaded as in load.overload.

    Samples: every ping of a client that pings every 10 ms from just before the burst until
    every reply owed has come, the recovery included.  Extra: pings that failed.
    """
    report = _overload(ctx, "load.overload_ping")
    return Measurement(report.ping_ms or [0.0],
                       extra={"ping_errors": float(len(report.ping_errors))})


@benchmark(name="load.overload_recovery", unit="s")
def overload_recovery(ctx: Context) -> Measurement:
    """Seconds from the end of load.overload's burst until a memory.search is fast again.

    "Fast again": within twice the median of 10 searches on the idle core (plus 2 ms).
    Samples: that time (one per burst; 120, the give-up, when no search was fast again).
    Extra: the idle and the recovered search (ms).
    """
    report = _overload(ctx, "load.overload_recovery")
    recovered = report.recovery_s
    return Measurement([GIVE_UP_S if recovered is None else recovered],
                       extra={"idle_probe_ms": report.idle_probe_ms,
                              "recovered_probe_ms": report.after_ms})
