"""Driving a core with a mixed load: concurrent closed-loop clients, and the core's RSS meanwhile.

Each client is a thread with its own socket that sends one request, waits for its reply and
sends the next, until the time is up; every request becomes one `Outcome`.  `RssTrail` reads
the core's RSS a few times a second against the requests answered and the adds stored by then,
and, when given a way to read them, the core's gauges (its bounded caches' sizes) every second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import psutil

from pajamas.errors import HubError
from pajamas.perf.load_fleet import Fleet, Mix
from pajamas.perf.stats import percentile
from pajamas.rpc.client import Client
from pajamas.rpc.connection import ConnectionInfo

MB: Final = 1024 * 1024
NS_PER_MS: Final = 1_000_000
REPLY_WAIT_S: Final = 300.0  # a hang guard: the load's cores allow 300 s per request


@dataclass(frozen=True)
class Outcome:
    """One request of a load: its method, when it was sent and answered, its error code, and
    how many times it was sent again after a `busy` (the pauses are part of its latency)."""

    method: str
    sent_ns: int
    done_ns: int
    error: str | None = None
    retries: int = 0

    @property
    def ms(self) -> float:
        """Its latency in milliseconds."""
        return (self.done_ns - self.sent_ns) / NS_PER_MS


Gauges = Callable[[], dict[str, float | None]]


@dataclass
class RssTrail:
    """The core's RSS (MB) against requests answered and adds stored, read every period_s;
    the gauges, when given, every gauge_every readings."""

    pid: int
    outcomes: list[Outcome]
    period_s: float = 0.25
    gauges: Gauges | None = None
    gauge_every: int = 4
    readings: list[tuple[int, int, float]] = field(default_factory=list)  # (requests, adds, MB)
    gauge_readings: list[tuple[int, dict[str, float | None]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        """Read in a thread until `stop`."""
        self._thread = threading.Thread(target=self._run, name="load-rss", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop reading (one last reading is taken)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        process, seen, adds = psutil.Process(self.pid), 0, 0
        while True:
            done = len(self.outcomes)
            adds += sum(o.method == "memory.add" and o.error is None
                        for o in self.outcomes[seen:done])
            seen = done
            self.readings.append((done, adds, process.memory_info().rss / MB))
            last = self._stop.wait(self.period_s)
            if self.gauges is not None and (last or len(self.readings) % self.gauge_every == 1):
                self.gauge_readings.append((done, self.gauges()))  # the last one, too
            if last:
                return


def closed_loop(info: ConnectionInfo, fleet: Fleet, clients: int, seconds: float,
                outcomes: list[Outcome] | None = None) -> list[Outcome]:
    """clients threads sending fleet's mix for seconds, one request in flight each."""
    done: list[Outcome] = [] if outcomes is None else outcomes
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=_one_client, args=(info, Mix(fleet, n), deadline,
                                                          done.append), name=f"load-{n}")
               for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done


def _one_client(info: ConnectionInfo, mix: Mix, deadline: float,
                record: Callable[[Outcome], None]) -> None:
    """One closed-loop client: as the hub's own clients do, it retries `busy` replies."""
    clock = time.perf_counter_ns
    with Client(info, timeout=REPLY_WAIT_S, retry_busy=True) as client:
        while time.monotonic() < deadline:
            method, params = mix.next()
            sent, retried, error = clock(), client.busy_retries, None
            try:
                client.call(method, params)
            except HubError as exc:
                error = exc.code
            record(Outcome(method, sent, clock(), error, client.busy_retries - retried))


def latency_figures(outcomes: list[Outcome]) -> dict[str, float]:
    """p50 and p99 (ms) of each method's answered requests: "<method>.p50_ms", ...."""
    by_method: dict[str, list[float]] = {}
    for outcome in outcomes:
        if outcome.error is None:
            by_method.setdefault(outcome.method, []).append(outcome.ms)
    figures = {}
    for method, times in sorted(by_method.items()):
        times.sort()
        figures[f"{method}.p50_ms"] = percentile(times, 50)
        figures[f"{method}.p99_ms"] = percentile(times, 99)
        figures[f"{method}.n"] = float(len(times))
    return figures


def per_second(outcomes: list[Outcome], skip_s: float) -> list[float]:
    """Requests answered in each whole second of the run after the first skip_s seconds."""
    if not outcomes:
        return []
    start = min(o.sent_ns for o in outcomes)
    counts: dict[int, int] = {}
    for outcome in outcomes:
        second = (outcome.done_ns - start) // 1_000_000_000
        counts[second] = counts.get(second, 0) + 1
    last = max(counts)  # the last second is cut short by the end of the run
    first = int(skip_s)
    return [float(counts.get(s, 0)) for s in range(first, last)]


def errors_per_second(outcomes: list[Outcome], skip_s: float) -> list[float]:
    """Percent of the requests answered with an error, in each whole second after skip_s."""
    if not outcomes:
        return []
    start = min(o.sent_ns for o in outcomes)
    totals: dict[int, list[int]] = {}
    for outcome in outcomes:
        counts = totals.setdefault((outcome.done_ns - start) // 1_000_000_000, [0, 0])
        counts[0] += 1
        counts[1] += outcome.error is not None
    return [100.0 * failed / total for second, (total, failed) in sorted(totals.items())
            if second >= int(skip_s)]
