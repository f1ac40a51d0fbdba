"""Window-side benchmarks: how soon the page's calls are served again, or learn they cannot be.

A page call goes through the bridge to a pool thread (shell/pool.py) and the core link
(shell/corelink.py).  When the core has stopped, the link starts a new one and the call is
answered by it; when the window closes while a call waits, the page must learn it at once
rather than after the client's 30 s timeout.
"""

from __future__ import annotations

import threading
import time
from typing import Final

from pajamas.errors import CoreNotRunning, Internal
from pajamas.launcher import stop_core
from pajamas.perf.benchmark import Context, Measurement
from pajamas.perf.registry import benchmark
from pajamas.perf.timing import NS_PER_MS
from pajamas.rpc.client import Client
from pajamas.shell.bridge import Bridge
from pajamas.shell.corelink import CoreLink
from pajamas.shell.pool import CallPool

# How long the closing thread lets the caller settle into its wait before it shuts the pool.
SETTLE_S: Final = 0.005


@benchmark(name="shell.reconnect_call", unit="ms")
def reconnect_call(ctx: Context) -> Measurement:
    """A page's call through the bridge right after the window's core stopped, until a new
    core (which the link starts) answers it."""
    link = CoreLink(ctx.workdir / "home", start_timeout=30.0)
    link.start()
    pool = CallPool(1, name="perf-bridge")
    bridge = Bridge(link.client, pool)
    samples = []
    try:
        for _ in range(ctx.count(20, minimum=3)):
            process = link.handle().process
            if process is None:
                raise Internal("the window found a core running instead of starting its own")
            stop_core(process)
            began = time.perf_counter_ns()
            answer = bridge.call("system.ping")
            samples.append((time.perf_counter_ns() - began) / NS_PER_MS)
            if not answer["ok"]:
                raise Internal(f"a call after the core stopped was not served: {answer!r:.200}")
    finally:
        pool.shutdown(wait=False)
        link.close()
    return Measurement(samples)


@benchmark(name="shell.pool_shutdown", unit="ms")
def pool_shutdown(ctx: Context) -> Measurement:
    """From shutting the call pool down (the window closes) to the return of a page's call
    still waiting for its core."""
    return Measurement([_release_ms() for _ in range(ctx.count(200, minimum=10))])


def _release_ms() -> float:
    """Milliseconds from `CallPool.shutdown` to the return of a call that is still running."""
    pool = CallPool(1, name="perf-pool")
    running, never = threading.Event(), threading.Event()
    shut_at: list[int] = []

    def core_still_starting() -> Client:  # as CoreLink.client waits while the core starts
        running.set()
        never.wait()
        raise CoreNotRunning("the benchmark's core never starts")

    def close_window() -> None:
        running.wait()
        time.sleep(SETTLE_S)  # the caller is in its wait for the result by now
        shut_at.append(time.perf_counter_ns())
        pool.shutdown(wait=False)

    closer = threading.Thread(target=close_window)
    closer.start()
    envelope = Bridge(core_still_starting, pool).call("system.ping")
    returned = time.perf_counter_ns()
    closer.join()
    never.set()
    if envelope["ok"] or "closing" not in envelope["error"]["message"]:
        raise Internal(f"the call was not released by the shutdown: {envelope!r:.200}")
    return (returned - shut_at[0]) / NS_PER_MS
