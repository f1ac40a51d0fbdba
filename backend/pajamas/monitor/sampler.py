"""Sampling: read every watched process once per tick, on a thread of its own.

`Sampler.sample` turns the watchlist into `ProcessSample`s (dropping processes that exited);
`SampleLoop` calls the monitor's tick every `interval_s` without drifting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypedDict, final

from pajamas.errors import Forbidden, NotFound
from pajamas.monitor.probe import Probe, ProbeFactory, ProcessProbe
from pajamas.monitor.watchlist import Watched, Watchlist

log = logging.getLogger(__name__)


class ProcessSample(TypedDict):
    """One watched process's usage at one moment (the `core` member of monitor.sample)."""

    pid: int
    role: str
    name: str
    rss: int
    uss: int | None
    cpu_percent: float
    threads: int
    open_files: int


@final
class Sampler:
    """Reads each watched process through a probe of its own."""

    def __init__(self, watchlist: Watchlist, probe_factory: ProbeFactory = ProcessProbe) -> None:
        self._watchlist, self._factory = watchlist, probe_factory
        self._probes: dict[int, Probe] = {}

    def adopt(self, pid: int, probe: Probe) -> None:
        """Use probe for pid (made by whoever checked that the process exists)."""
        self._probes[pid] = probe

    def sample(self) -> tuple[list[ProcessSample], list[Watched]]:
        """(samples of the live processes, the watched ones that exited and were dropped)."""
        samples, gone = [], []
        for watched in self._watchlist.items():
            sample = self._read(watched)
            if sample is None:
                gone.append(watched)
            else:
                samples.append(sample)
        self._forget_unwatched()
        return samples, gone

    def _read(self, watched: Watched) -> ProcessSample | None:
        try:
            probe = self._probes.get(watched.pid) or self._new_probe(watched.pid)
            reading = probe.read()
        except (NotFound, Forbidden) as exc:
            log.info("stopped watching %s (pid %d): %s", watched.name, watched.pid, exc.message)
            self._watchlist.unwatch(watched.pid)
            self._probes.pop(watched.pid, None)
            return None
        return ProcessSample(pid=watched.pid, role=watched.role, name=watched.name, **reading)

    def _new_probe(self, pid: int) -> Probe:
        probe = self._probes[pid] = self._factory(pid)
        return probe

    def _forget_unwatched(self) -> None:
        if len(self._probes) > len(self._watchlist):
            live = {w.pid for w in self._watchlist.items()}
            # list(): adopt() adds probes from RPC workers while this runs.
            for pid in [p for p in list(self._probes) if p not in live]:
                self._probes.pop(pid, None)


@final
class SampleLoop:
    """Calls tick(now) every interval_s on a thread of its own, on a fixed schedule."""

    def __init__(self, tick: Callable[[float], object], interval_s: float,
                 clock: Callable[[], float] = time.time) -> None:
        self._tick, self._interval, self._clock = tick, interval_s, clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pajamas-sampler", daemon=True)

    def start(self) -> None:
        """Begin sampling."""
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)

    def _run(self) -> None:
        due = time.monotonic()
        while True:
            due = max(due + self._interval, time.monotonic())  # a late tick is not repeated
            if self._stop.wait(due - time.monotonic()):
                return
            try:
                self._tick(self._clock())
            except Exception:  # one bad tick must not end the monitoring
                log.exception("a monitor tick failed")
