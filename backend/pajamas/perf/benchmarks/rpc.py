"""RPC benchmarks: a ping's round trip, idle and with every worker busy, pings per second
with many requests in flight, and how soon a waiting client learns that its core died."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Final

from pajamas.config import Settings
from pajamas.debug import MAX_SLEEP_S
from pajamas.errors import CoreNotRunning, Internal, from_wire
from pajamas.launcher import ensure_core
from pajamas.perf.baseline import overhead, raw_roundtrip_us
from pajamas.perf.benchmark import Context, Measurement
from pajamas.perf.cores import core_env, throwaway_core
from pajamas.perf.registry import benchmark
from pajamas.perf.timing import NS_PER_MS, NS_PER_S, NS_PER_US, time_calls
from pajamas.rpc.client import Client

IN_FLIGHT: Final = 64
ALIVE_CHECK_S: Final = 1.0  # rpc/client.py checks this often that a silent core still runs
# Debug methods for debug.sleep, which holds a worker until the core stops (or MAX_SLEEP_S).
DEBUG: Final = {"PAJAMAS_DEBUG_METHODS": "1"}
TCP: Final = {"PAJAMAS_RPC_TRANSPORT": "tcp"}


@benchmark(name="rpc.roundtrip", unit="µs")
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


@benchmark(name="rpc.roundtrip_tcp", unit="µs")
def roundtrip_tcp(ctx: Context) -> Measurement:
    """`system.ping`'s round trip over loopback TCP with the key, as on Windows.

    The core is started with the setting rpc_transport = "tcp", so this machine takes the path
    a Windows machine takes.  Extra figures: the same over bare ZeroMQ + msgpack on TCP.
    """
    calls, warmup = ctx.count(5_000, minimum=50), ctx.count(500, minimum=20)
    with throwaway_core(ctx.workdir, settings=TCP) as client:
        if not client.info.rpc.startswith("tcp://127.0.0.1:"):
            raise Internal(f"the core bound {client.info.rpc}, not loopback tcp")
        samples = time_calls(lambda: client.call("system.ping"), calls, warmup=warmup,
                             ns_per_unit=NS_PER_US)
    floor = raw_roundtrip_us(ctx.workdir, calls, warmup, tcp=True)
    return Measurement(samples, extra={"warmup_calls": warmup, **overhead(samples, floor)})


@benchmark(name="rpc.roundtrip_busy", unit="µs")
def roundtrip_busy(ctx: Context) -> Measurement:
    """`system.ping`'s round trip while slow calls hold every worker and as many again wait.

    The core answers pings on its loop, never behind slow work, so this should read as
    rpc.roundtrip does.  Extra figures: the slow calls in flight.
    """
    calls, warmup = ctx.count(5_000, minimum=50), ctx.count(500, minimum=20)
    held = 2 * Settings().workers
    with throwaway_core(ctx.workdir, settings=DEBUG) as client, Client(client.info) as holder:
        for _ in range(held):
            holder.submit("debug.sleep", {"seconds": MAX_SLEEP_S})
        holder.call("system.ping")  # taken in order: every slow call is in flight now
        samples = time_calls(lambda: client.call("system.ping"), calls, warmup=warmup,
                             ns_per_unit=NS_PER_US)
    return Measurement(samples, extra={"slow_calls": held})


@benchmark(name="rpc.dead_core_notice", unit="ms")
def dead_core_notice(ctx: Context) -> Measurement:
    """From killing the core (SIGKILL) to `CoreNotRunning` in a client waiting for a reply.

    Each run starts a core, leaves a slow call in flight, waits for its reply and kills the
    core some way into the wait; the runs spread the kills evenly over the client's
    one-second check period.
    """
    runs = ctx.count(10, minimum=3)
    samples = [_notice_ms(ctx.workdir / f"notice-{run}", (run + 0.5) / runs * ALIVE_CHECK_S)
               for run in range(runs)]
    return Measurement(samples)


def _notice_ms(home: Path, delay_s: float) -> float:
    """Milliseconds from killing home's new core, delay_s into a wait, to the wait's error."""
    handle = ensure_core(home, start_timeout=30.0, env=core_env(**DEBUG))
    process, client = handle.process, handle.client
    if process is None:
        client.close()
        raise Internal(f"a core already served {home}; the benchmark needs one of its own")
    killed_ns: list[int] = []

    def kill() -> None:
        time.sleep(delay_s)  # where in the client's check period the kill falls
        killed_ns.append(time.perf_counter_ns())
        process.kill()  # SIGKILL on POSIX, TerminateProcess on Windows

    try:
        client.submit("debug.sleep", {"seconds": MAX_SLEEP_S})
        client.call("system.ping")  # taken in order: the slow call is in flight now
        killer = threading.Thread(target=kill)
        killer.start()
        try:
            client.receive(timeout=60.0)
        except CoreNotRunning:
            noticed_ns = time.perf_counter_ns()
        else:
            raise Internal(f"the core (pid {process.pid}) answered a call it died in")
        killer.join()
        return (noticed_ns - killed_ns[0]) / NS_PER_MS
    finally:
        client.close()
        process.kill()
        process.wait()


@benchmark(name="rpc.throughput", unit="pings/s", better="higher")
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
