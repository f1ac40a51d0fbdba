"""RPC benchmarks: a ping's round trip, and pings per second with many requests in flight."""

from __future__ import annotations

import time
from typing import Final

from pajamas.errors import from_wire
from pajamas.perf.baseline import overhead, raw_roundtrip_us
from pajamas.perf.benchmark import Context, Measurement, Target
from pajamas.perf.cores import throwaway_core
from pajamas.perf.registry import benchmark
from pajamas.perf.timing import NS_PER_S, NS_PER_US, time_calls
from pajamas.rpc.client import Client

IN_FLIGHT: Final = 64


@benchmark(name="rpc.roundtrip", unit="µs", target=(
    Target("p50", "<=", 150, "every view of the window calls the core: several calls must fit "
           "in one 16 ms frame with time to spare"),
    Target("p99", "<=", 1000, "the slow calls too stay far under a frame, so scrolling never "
           "stutters on the protocol"),
))
def roundtrip(ctx: Context) -> Measurement:
    """One `system.ping` call and its reply, client to core and back.

    Extra figures: the same round trip over bare ZeroMQ + msgpack in this run, and the ratio.
    """
    calls, warmup = ctx.count(5_000, minimum=50), ctx.count(500, minimum=20)
    with throwaway_core(ctx.workdir) as client:
        samples = time_calls(lambda: client.call("system.ping"), calls, warmup=warmup,
                             ns_per_unit=NS_PER_US)
    floor = raw_roundtrip_us(ctx.workdir, calls, warmup)
    return Measurement(samples, extra={"warmup_calls": warmup, **overhead(samples, floor)})


@benchmark(name="rpc.throughput", unit="pings/s",
           target=Target("median", ">=", 15_000, "the window, the CLI, plugins and events share "
                         "one core: a burst, such as a list scrolled fast, must not queue"))
def throughput(ctx: Context) -> Measurement:
    """Pings answered per second with 64 requests kept in flight on one socket."""
    windows, per_window = ctx.count(10, minimum=3), ctx.count(2_000, minimum=100)
    with throwaway_core(ctx.workdir) as client:
        pipeline = Pipeline(client, IN_FLIGHT)
        pipeline.fill()
        pipeline.cycle(per_window)  # warm-up window, dropped
        samples = [pipeline.rate(per_window) for _ in range(windows)]
        pipeline.drain()
    return Measurement(samples, extra={"in_flight": IN_FLIGHT, "replies_timed":
                                       windows * per_window})


class Pipeline:
    """Keeps `depth` pings outstanding: every reply received is replaced by a new request."""

    def __init__(self, client: Client, depth: int) -> None:
        self.client = client
        self.depth = depth
        self.outstanding = 0

    def fill(self) -> None:
        """Submit requests until depth are in flight."""
        while self.outstanding < self.depth:
            self.client.submit("system.ping")
            self.outstanding += 1

    def cycle(self, replies: int) -> None:
        """Receive replies, submitting one new request for each."""
        for _ in range(replies):
            self._receive_one()
            self.client.submit("system.ping")
            self.outstanding += 1

    def rate(self, replies: int) -> float:
        """Replies per second over a window of cycle(replies)."""
        start = time.perf_counter_ns()
        self.cycle(replies)
        return replies * NS_PER_S / (time.perf_counter_ns() - start)

    def drain(self) -> None:
        """Receive what is still in flight, so the core has answered everything."""
        while self.outstanding:
            self._receive_one()

    def _receive_one(self) -> None:
        reply = self.client.receive()
        self.outstanding -= 1
        if reply.error is not None:
            raise from_wire(reply.error)
