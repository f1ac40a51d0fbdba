"""Overload: a core offered several times what it serves, and what it answers meanwhile.

`overload` measures the core's capacity for the mixed load (closed-loop clients), then sends
the same mix open-loop at `factor` times that rate for a while from one socket of its own,
with no limit on the requests in flight, while another client pings and a third reads the
core's RSS.  The burst is sent from a process of its own, so a reply it reads never waits for
the pinger's or the watchers' turn at this process's interpreter.  When the burst ends it
probes with memory.search until one is answered as fast as before the burst, and receives
every reply still owed.  `OverloadReport` keeps every figure: each reply's code and latency,
the pings, the RSS and the recovery; the perf suite's `load.overload*` benchmarks and the
tests read the same report.
"""

from __future__ import annotations

import multiprocessing
import select
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Final

import psutil
import zmq

from pajamas.errors import Busy
from pajamas.perf.load_fleet import Fleet, Mix
from pajamas.perf.load_traffic import MB, NS_PER_MS, Outcome, closed_loop
from pajamas.rpc import protocol
from pajamas.rpc.client import Client
from pajamas.rpc.connection import ConnectionInfo

NORMAL_FACTOR: Final = 2.0  # "normal again": a probe within twice the idle probes' median
NORMAL_SLACK_MS: Final = 2.0  # ... plus this, so a sub-millisecond idle figure is not a trap
PROBES: Final = 10
PING_EVERY_S: Final = 0.01
GIVE_UP_S: Final = 120.0
BUSY_RETRY_S: Final = 0.005


@dataclass
class OverloadReport:
    """What an overload run saw; `replies` counts replies per request id (each must be 1)."""

    capacity_per_s: float = 0.0
    offered_per_s: float = 0.0
    burst_s: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)
    replies: Counter[int] = field(default_factory=Counter)
    sent: int = 0
    strays: int = 0  # replies to no request of the burst's
    ping_ms: list[float] = field(default_factory=list)
    ping_at: list[int] = field(default_factory=list)  # when each answered (perf_counter_ns)
    ping_errors: list[str] = field(default_factory=list)
    rss_mb: list[tuple[float, float]] = field(default_factory=list)  # (s from burst start, MB)
    idle_probe_ms: float = 0.0
    recovery_s: float | None = None
    after_ms: float = 0.0  # the first normal probe's latency
    overloaded_ns: tuple[int, int] = (0, 0)  # from the burst's first request to its last reply

    @property
    def missing(self) -> int:
        """Requests of the burst that got no reply."""
        return self.sent - len(self.replies)

    def pings_while_overloaded(self) -> int:
        """Pings answered between the burst's first request and its last reply."""
        start, end = self.overloaded_ns
        return sum(start <= at <= end for at in self.ping_at)

    def codes(self) -> Counter[str]:
        """Replies by error code ("ok" for results)."""
        return Counter(o.error or "ok" for o in self.outcomes)

    def latencies(self, code: str) -> list[float]:
        """Latencies (ms) of the replies with code ("ok" for results)."""
        return [o.ms for o in self.outcomes if (o.error or "ok") == code]


def overload(info: ConnectionInfo, fleet: Fleet, *, clients: int, capacity_s: float,
             burst_s: float, factor: float = 4.0,
             rate: float | None = None) -> OverloadReport:
    """Measure the core's capacity, overload it by factor for burst_s, and watch it recover.

    rate, when given, is the burst's rate instead of factor times the capacity measured.
    """
    report = OverloadReport(burst_s=burst_s)
    served = closed_loop(info, fleet, clients, capacity_s)
    report.capacity_per_s = len(served) / capacity_s
    report.offered_per_s = factor * report.capacity_per_s if rate is None else rate
    with Client(info) as client:
        report.idle_probe_ms = statistics.median(
            _probe_ms(client, fleet, n) for n in range(PROBES))
    pinger = _Pinger(info, report)
    rss = _RssWatch(info.pid, report)
    pinger.start()
    rss.start()
    try:
        with _BurstProcess(info, fleet, report.offered_per_s, burst_s) as burst:
            began = time.perf_counter_ns()
            burst.sent_all()
            ended = time.monotonic()
            recovery = threading.Thread(target=_recover, args=(info, fleet, report, ended))
            recovery.start()
            burst.tally().into(report)
            report.overloaded_ns = (began, time.perf_counter_ns())
            recovery.join()
    finally:
        pinger.stop()
        rss.stop()
    return report


def _probe_ms(client: Client, fleet: Fleet, n: int) -> float:
    """One memory.search of a question not asked before (neither cache answers it)."""
    query = f"{fleet.questions[n % len(fleet.questions)]} (probe {n})"
    start = time.perf_counter_ns()
    client.call("memory.search", {"persona": fleet.personas[0], "query": query})
    return (time.perf_counter_ns() - start) / NS_PER_MS


def _recover(info: ConnectionInfo, fleet: Fleet, report: OverloadReport, ended: float) -> None:
    """Probe from the burst's end until a probe is answered as fast as when idle."""
    normal = NORMAL_FACTOR * report.idle_probe_ms + NORMAL_SLACK_MS
    with Client(info, timeout=GIVE_UP_S) as client:
        n = PROBES
        while time.monotonic() - ended < GIVE_UP_S:
            n += 1
            try:
                took = _probe_ms(client, fleet, n)
            except Busy:  # still shedding: not normal yet; ask again shortly
                time.sleep(BUSY_RETRY_S)
                continue
            if took <= normal:
                report.recovery_s, report.after_ms = time.monotonic() - ended, took
                return


@dataclass
class _Tally:
    """What the burst's process counted: requests sent, replies per id, each reply's outcome."""

    sent: int = 0
    strays: int = 0
    replies: Counter[int] = field(default_factory=Counter)
    outcomes: list[Outcome] = field(default_factory=list)

    def into(self, report: OverloadReport) -> None:
        """Add these counts to report's."""
        report.sent, report.strays = report.sent + self.sent, report.strays + self.strays
        report.replies.update(self.replies)
        report.outcomes.extend(self.outcomes)


class _BurstProcess:
    """The burst, sent from a process of its own (spawned: the same on every OS).

    The child connects, says it is ready, waits for go, sends for the burst's time, says so,
    reads every reply owed and sends back its `_Tally`.  Both processes read
    `time.perf_counter_ns`, the system's monotonic clock, so their times compare.
    """

    def __init__(self, info: ConnectionInfo, fleet: Fleet, rate: float, seconds: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_send_burst, args=(child, info, fleet, rate,
                                                                  seconds),
                                        name="pajamas-overload-burst", daemon=True)
        self._seconds = seconds

    def __enter__(self) -> _BurstProcess:
        self._process.start()
        self._expect("ready", GIVE_UP_S)  # started and connected: the burst starts on go
        self._pipe.send("go")
        return self

    def sent_all(self) -> None:
        """Wait until the burst's last request is sent."""
        self._expect("sent", self._seconds + GIVE_UP_S)

    def tally(self) -> _Tally:
        """Wait until every reply owed has come (or `GIVE_UP_S`): what the burst counted."""
        tally = self._expect(_Tally, GIVE_UP_S + 10.0)
        assert isinstance(tally, _Tally)
        return tally

    def __exit__(self, *exc: object) -> None:
        self._process.join(GIVE_UP_S)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._pipe.close()

    def _expect(self, what: object, wait_s: float) -> object:
        if not self._pipe.poll(wait_s):
            raise RuntimeError(f"the overload's burst process said nothing for {wait_s:.0f} s "
                               f"(exit code {self._process.exitcode})")
        said = self._pipe.recv()
        if isinstance(said, BaseException):
            raise RuntimeError(f"the overload's burst process failed: {said!r}") from said
        if said != what and not (isinstance(what, type) and isinstance(said, what)):
            raise RuntimeError(f"the overload's burst process said {said!r}, not {what!r}")
        return said


def _send_burst(pipe: Connection, info: ConnectionInfo, fleet: Fleet, rate: float,
                seconds: float) -> None:
    """The burst process: see `_BurstProcess`."""
    try:
        burst = _Burst(info, Mix(fleet, seed=1_000))
        pipe.send("ready")
        pipe.recv()
        burst.send(rate, seconds)
        pipe.send("sent")
        burst.drain()
        pipe.send(burst.tally)
    except Exception as exc:  # the parent raises it with the process's story
        pipe.send(exc)
    finally:
        pipe.close()


class _Burst:
    """Sends requests open-loop on a raw socket of its own and counts every reply per id."""

    def __init__(self, info: ConnectionInfo, mix: Mix) -> None:
        self._signer = protocol.Signer(info.key_bytes)
        self._sock: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.DEALER)
        self._sock.setsockopt(zmq.LINGER, 0)
        self._sock.connect(info.rpc)
        self._fd = int(self._sock.getsockopt(zmq.FD))  # readable when its events may change
        self._mix, self.tally = mix, _Tally()
        self._sent: dict[int, tuple[str, int]] = {}  # id -> (method, sent ns), until answered

    def send(self, rate: float, seconds: float) -> None:
        """Send at rate requests a second for seconds, reading replies in between."""
        gap_ns, start = int(1e9 / rate), time.perf_counter_ns()
        end, due = start + int(seconds * 1e9), start
        while (now := time.perf_counter_ns()) < end:
            while due <= now:  # behind schedule: catch up at once, as a real burst would
                self._one()
                due += gap_ns
                self._read(0)  # a reply that came meanwhile is timed now, not after the rest
            self._read_until(due)

    def _read_until(self, due_ns: int) -> None:
        """Read replies as they come until due_ns, asleep in between.

        Not `poll`: its timeout is in whole milliseconds, so the last part of each gap
        between sends was spent polling without a wait, the burst process spinning on a core
        the core it measures needed.  ZeroMQ's descriptor says when its events may have
        changed; `zmq.EVENTS` says whether a reply is there.
        """
        while (left := due_ns - time.perf_counter_ns()) > 0:
            if int(self._sock.getsockopt(zmq.EVENTS)) & zmq.POLLIN:
                self._read(0)
            else:
                select.select([self._fd], [], [], left / 1e9)

    def drain(self) -> None:
        """Read until every request sent has its reply (`GIVE_UP_S` as a hang guard)."""
        deadline = time.monotonic() + GIVE_UP_S
        while self._sent and time.monotonic() < deadline:
            self._read(100)
        self._sock.close()

    def _one(self) -> None:
        method, params = self._mix.next()
        rid = self.tally.sent = self.tally.sent + 1
        body = protocol.encode_request(rid, method, params)
        self._sent[rid] = (method, time.perf_counter_ns())
        self._sock.send_multipart([self._signer.sign(body), body])

    def _read(self, wait_ms: int) -> None:
        if not self._sock.poll(int(wait_ms)):
            return
        while True:
            try:
                frames = self._sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            self._note(frames, time.perf_counter_ns())

    def _note(self, frames: list[bytes], at: int) -> None:
        reply = protocol.parse_reply(frames[1])
        if not isinstance(reply.id, int) or reply.id > self.tally.sent:
            self.tally.strays += 1
            return
        self.tally.replies[reply.id] += 1
        sent = self._sent.pop(reply.id, None)
        if sent is not None:
            code = None if reply.error is None else str(reply.error["code"])
            self.tally.outcomes.append(Outcome(sent[0], sent[1], at, code))


class _Watcher:
    """A thread that calls `tick` every period until stopped."""

    period_s = 0.1

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        """Start ticking."""
        self._thread.start()

    def stop(self) -> None:
        """Stop ticking and wait for the thread."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        self.setup()
        try:
            while not self._stop.wait(self.period_s):
                self.tick()
        finally:
            self.teardown()

    def setup(self) -> None:
        """Before the first tick."""

    def tick(self) -> None:
        """One tick."""

    def teardown(self) -> None:
        """After the last tick."""


class _Pinger(_Watcher):
    period_s = PING_EVERY_S

    def __init__(self, info: ConnectionInfo, report: OverloadReport) -> None:
        super().__init__()
        self._info, self._report = info, report
        self._client: Client | None = None

    def setup(self) -> None:
        self._client = Client(self._info, timeout=GIVE_UP_S)

    def tick(self) -> None:
        assert self._client is not None
        start = time.perf_counter_ns()
        try:
            self._client.call("system.ping")
        except Exception as exc:  # every failure is a figure of the run
            self._report.ping_errors.append(f"{type(exc).__name__}: {exc}")
            return
        done = time.perf_counter_ns()
        self._report.ping_ms.append((done - start) / NS_PER_MS)
        self._report.ping_at.append(done)

    def teardown(self) -> None:
        if self._client is not None:
            self._client.close()


class _RssWatch(_Watcher):
    def __init__(self, pid: int, report: OverloadReport) -> None:
        super().__init__()
        self._process, self._report = psutil.Process(pid), report
        self._start = time.monotonic()

    def tick(self) -> None:
        self._report.rss_mb.append((time.monotonic() - self._start,
                                    self._process.memory_info().rss / MB))


def summary(report: OverloadReport) -> dict[str, Any]:
    """The report's figures by name, for a benchmark's extra or a test's message."""
    rss = [mb for _, mb in report.rss_mb] or [0.0]
    return {"capacity_per_s": report.capacity_per_s, "offered_per_s": report.offered_per_s,
            "sent": float(report.sent), **{f"replies.{k}": float(v)
                                           for k, v in report.codes().items()},
            "rss_start_mb": rss[0], "rss_peak_mb": max(rss), "rss_end_mb": rss[-1],
            "rss_growth_mb": max(rss) - rss[0], "idle_probe_ms": report.idle_probe_ms,
            "recovery_s": -1.0 if report.recovery_s is None else report.recovery_s,
            "pings": float(len(report.ping_ms)), "ping_errors": float(len(report.ping_errors)),
            "missing_replies": float(report.missing), "stray_replies": float(report.strays),
            "repeated_replies": float(sum(n > 1 for n in report.replies.values()))}
