"""Plugin benchmarks: listing, calling, spawning and killing plugin hosts, and their memory.

`plugin.list`'s set-up (not timed) installs 1,000 small plugins into the throwaway home's
hub.db by the same `PluginRegistry.install` the core runs, before the core starts.  The others
run the packaged plugins of `pajamas/perf/plugins/` (see `perf.plugin_fixtures`) on a real
core with default settings: `bench-noop` (does nothing) and `bench-hostile` (breaches its
64 MB or 1 CPU second quota, logging the moment it does, or sleeps past a 1 s timeout).
Each hostile call is preceded by an untimed no-op call, which warms a fresh host and, being
a success, keeps the persona's failures-in-a-row count from disabling the plugin.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path
from typing import Any, Final

import psutil

from pajamas.errors import HubError, HubTimeout, Internal, QuotaExceeded
from pajamas.perf.benchmark import Context, Measurement
from pajamas.perf.cores import throwaway_core
from pajamas.perf.plugin_fixtures import (
    HOSTILE,
    NOOP,
    breach_time,
    call,
    expect_error,
    install,
    persona_with,
)
from pajamas.perf.registry import benchmark
from pajamas.perf.timing import NS_PER_MS, since, time_calls
from pajamas.rpc.client import Client, Subscriber

MB: Final = 1024 * 1024
TIME_LIMIT_S: Final = 1.0  # the timeout_s of calls that sleep past it
PLUGINS: Final = 1000
PAGE: Final = 50
MANIFEST: Final = """\
[plugin]
name = "{name}"
version = "1.0.0"
description = "Benchmark plugin number {number}."
entry = "main.py"
api = 1

[functions.run]
description = "Return one."
pure = true
"""


@benchmark(name="plugin.list", unit="ms")
def list_page(ctx: Context) -> Measurement:
    """One page (50) of `plugin.list` through RPC, 1,000 plugins installed; every 4th searches."""
    calls = ctx.count(400, minimum=20)
    install_many(ctx.workdir / "home", ctx.workdir / "sources", PLUGINS)
    pick = random.Random(5)  # noqa: S311  (sample pages, not a secret)
    with throwaway_core(ctx.workdir) as client:
        client.call("plugin.list", {"limit": 1})  # waits for the plugins stage

        def one_page() -> None:
            params: dict[str, object] = {"offset": pick.randrange(0, PLUGINS - PAGE),
                                         "limit": PAGE}
            if pick.random() < 0.25:
                params = {"query": f"number {pick.randrange(100)}", "limit": PAGE}
            client.call("plugin.list", params)

        samples = time_calls(one_page, calls, warmup=20, ns_per_unit=NS_PER_MS)
    return Measurement(samples, extra={"plugins": PLUGINS, "page": PAGE})


def install_many(home: Path, sources: Path, count: int) -> None:
    """Install count small plugins into home, through the registry the core uses."""
    from pajamas.plugins.manifest import Quotas  # noqa: PLC0415
    from pajamas.plugins.registry import PluginRegistry  # noqa: PLC0415
    from pajamas.store.metadata import MetadataStore  # noqa: PLC0415

    home.mkdir(parents=True, exist_ok=True)
    store = MetadataStore.open(home)
    try:
        registry = PluginRegistry(store, home, Quotas(), require_persona=lambda persona: None)
        for number in range(count):
            registry.install(_source(sources / f"p{number}", f"bench-{number:04d}", number))
    finally:
        store.close()


def _source(folder: Path, name: str, number: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plugin.toml").write_text(MANIFEST.format(name=name, number=number),
                                        encoding="utf-8")
    (folder / "main.py").write_text("def run():\n    return 1\n", encoding="utf-8")
    return folder


@benchmark(name="plugin.call_overhead", unit="ms")
def call_overhead(ctx: Context) -> Measurement:
    """A warm `plugin.call` of a no-op function through RPC, client to host and back."""
    calls, warmup = ctx.count(2000, minimum=50), ctx.count(200, minimum=10)
    with throwaway_core(ctx.workdir) as client:
        install(client, ctx.workdir, NOOP)
        persona = persona_with(client, NOOP)
        samples = time_calls(lambda: call(client, persona, NOOP, "noop"), calls,
                             warmup=warmup, ns_per_unit=NS_PER_MS)
        pings = time_calls(lambda: client.call("system.ping"), calls, ns_per_unit=NS_PER_MS)
    return Measurement(samples, extra={"warmup_calls": warmup,
                                       "ping_median_ms": sorted(pings)[len(pings) // 2]})


@benchmark(name="plugin.spawn", unit="ms")
def spawn(ctx: Context) -> Measurement:
    """The first `plugin.call` for a (persona, plugin): a host started, confined and called.

    Every sample is a new persona, so every call is cold; each host is stopped afterwards
    (plugin.disable, not timed) so that they do not pile up.
    """
    samples = []
    with throwaway_core(ctx.workdir) as client:
        install(client, ctx.workdir, NOOP)
        call(client, persona_with(client, NOOP), NOOP, "noop")  # the forkserver's first fork
        for _ in range(ctx.count(40, minimum=3)):
            persona = persona_with(client, NOOP)
            start = time.perf_counter_ns()
            call(client, persona, NOOP, "noop")
            samples.append(since(start, NS_PER_MS))
            client.call("plugin.disable", {"persona": persona, "name": NOOP})
    return Measurement(samples)


def _kill_latency(ctx: Context, function: str, expected: type[HubError]) -> Measurement:
    """Milliseconds from bench-hostile's logged breach to the caller's error.

    A kill can beat the breach's log line (it is lost with the host); such calls are counted
    in the extra figure "unlogged" and give no sample, which leaves out the fastest kills.
    """
    samples, unlogged = [], 0
    with throwaway_core(ctx.workdir) as client:
        install(client, ctx.workdir, HOSTILE)
        persona = persona_with(client, HOSTILE)
        events = Subscriber(client.info, ("plugin.log",))
        try:
            time.sleep(0.2)  # a SUB socket misses what is published before it has joined
            for _ in range(ctx.count(20, minimum=3)):
                call(client, persona, HOSTILE, "noop")
                received = expect_error(client, persona, function, expected)
                breach = breach_time(events, persona)
                if breach is None:
                    unlogged += 1
                else:
                    samples.append((received - breach) * 1000)
        finally:
            events.close()
    if not samples:
        raise Internal(f"{HOSTILE}.{function} never logged its breach (plugin.log events)")
    return Measurement(samples, extra={"unlogged": unlogged})


@benchmark(name="plugin.kill_latency.memory", unit="ms")
def kill_latency_memory(ctx: Context) -> Measurement:
    """From a plugin's peak RSS passing its 64 MB quota to its caller's quota_exceeded."""
    return _kill_latency(ctx, "grow", QuotaExceeded)


@benchmark(name="plugin.kill_latency.cpu", unit="ms")
def kill_latency_cpu(ctx: Context) -> Measurement:
    """From a plugin's CPU time passing its 1 s quota to its caller's quota_exceeded."""
    return _kill_latency(ctx, "spin", QuotaExceeded)


@benchmark(name="plugin.kill_latency.time", unit="ms")
def kill_latency_time(ctx: Context) -> Measurement:
    """A call sleeping past its 1 s time limit: the call's duration beyond that 1 s.

    The limit is the call's timeout_s, which lowers the manifest's wall_s and is enforced the
    same way.  The host is warm, so the figure is the stop's delay plus one call's overhead:
    the call ends by wall_s + 250 ms.
    """
    samples = []
    with throwaway_core(ctx.workdir) as client:
        install(client, ctx.workdir, HOSTILE)
        persona = persona_with(client, HOSTILE)
        for _ in range(ctx.count(20, minimum=3)):
            call(client, persona, HOSTILE, "noop")
            start = time.perf_counter_ns()
            expect_error(client, persona, "sleep", HubTimeout, timeout_s=TIME_LIMIT_S)
            samples.append(since(start, NS_PER_MS) - TIME_LIMIT_S * 1000)
    return Measurement(samples, extra={"timeout_s": TIME_LIMIT_S})


#: Each attack: the error that must stop it, and the call's params.
ATTACKS: Final[dict[str, tuple[type[HubError], dict[str, Any]]]] = {
    "grow": (QuotaExceeded, {}), "spin": (QuotaExceeded, {}),
    "sleep": (HubTimeout, {"timeout_s": TIME_LIMIT_S}), "flood": (QuotaExceeded, {}),
}


@benchmark(name="plugin.attack_ping", unit="ms")
def attack_ping(ctx: Context) -> Measurement:
    """`system.ping` every 5 ms while four hostile hosts (memory, CPU, time, output) run.

    Each attacker calls its function again as soon as it is stopped.  Extra figures: how many
    attacks were stopped during the pings.
    """
    with throwaway_core(ctx.workdir) as client:
        install(client, ctx.workdir, HOSTILE)
        attackers = [Attacker(client, persona_with(client, HOSTILE), function)
                     for function in ATTACKS]
        threads = [threading.Thread(target=a.run, daemon=True) for a in attackers]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1.0)  # every attack under way
            samples = _spaced_pings(client, ctx.count(2000, minimum=100), interval_s=0.005)
        finally:
            for attacker in attackers:
                attacker.stop.set()
            for thread in threads:
                thread.join(30)
    failed = [a.error for a in attackers if a.error]
    if failed or not all(a.stopped for a in attackers):
        raise Internal(f"the attacks did not run as planned: {failed or 'one was never stopped'}")
    return Measurement(samples, extra={f"{a.function}_stopped": a.stopped for a in attackers})


class Attacker:
    """Calls one bench-hostile function for a persona over and over until told to stop."""

    def __init__(self, client: Client, persona: str, function: str) -> None:
        self.client, self.persona, self.function = client, persona, function
        self.stop = threading.Event()
        self.stopped = 0  # attacks ended by the expected error
        self.error = ""

    def run(self) -> None:
        """Attack until stop is set; the first unexpected outcome ends the run."""
        try:
            while not self.stop.is_set():
                call(self.client, self.persona, HOSTILE, "noop")
                expected, params = ATTACKS[self.function]
                expect_error(self.client, self.persona, self.function, expected, **params)
                self.stopped += 1
        except HubError as exc:
            self.error = f"{self.function}: {exc.message}"


def _spaced_pings(client: Client, count: int, interval_s: float) -> list[float]:
    samples = []
    for _ in range(count):
        start = time.perf_counter_ns()
        client.call("system.ping")
        samples.append(since(start, NS_PER_MS))
        time.sleep(interval_s)
    return samples


@benchmark(name="plugin.hosts_rss", unit="MB")
def hosts_rss(ctx: Context) -> Measurement:
    """Unique memory (USS) of each of 10 personas by 3 warm plugin hosts.

    The bound is twice the 8 MB USS measured for a host forked from a template: 30 warm
    hosts then add at most about 480 MB.  Extra figures: RSS per host and the totals
    (RSS counts the pages hosts share with their template, so it over-counts the sum).
    """
    personas = ctx.count(10, minimum=2)
    with throwaway_core(ctx.workdir) as client:
        plugins = [install(client, ctx.workdir, NOOP, f"{NOOP}-{n}") for n in range(3)]
        for _ in range(personas):
            persona = persona_with(client, *plugins)
            for plugin in plugins:
                call(client, persona, plugin, "noop")
        items = client.call("plugin.status")["items"]
        usage = [_memory(item) for item in items if item.get("pid")]
    if len(usage) != personas * len(plugins):
        raise Internal(f"the core lists {len(usage)} plugin hosts, not {personas * 3}")
    rss, uss = [u[0] for u in usage], [u[1] for u in usage]
    return Measurement(uss, extra={"hosts": len(usage), "rss_median_mb": _median(rss),
                                   "rss_total_mb": sum(rss), "uss_total_mb": sum(uss)})


def _memory(item: dict[str, Any]) -> tuple[float, float]:
    """A host's RSS and USS in MB, read by psutil from its pid in plugin.status."""
    info = psutil.Process(int(item["pid"])).memory_full_info()
    return info.rss / MB, info.uss / MB


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]
