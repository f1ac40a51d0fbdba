"""The monitor: sample every watched process each tick, keep and archive the history, judge it.

One tick (every `sample_interval_s`, on the sampler's thread) reads the processes and the
core's own figures, records them in the rolling history and the archive, checks memory
pressure, runs the leak detector once per bucket of its window, and publishes the sample as
a `monitor.sample` event.  Every effect is injected (probes, clock, OS memory, publishing),
so benchmarks and tests drive `tick(now)` with scripted processes and made-up times.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, final

import psutil

from pajamas.config import Settings
from pajamas.context import Check, Shed
from pajamas.errors import ConfigError, NotFound
from pajamas.monitor.alerts import AlertBoard
from pajamas.monitor.archive import Archive
from pajamas.monitor.ceilings import rss_ceiling
from pajamas.monitor.history import History, Point
from pajamas.monitor.leaks import LeakDetector, LeakRule
from pajamas.monitor.pressure import MB, PressureLimits, PressureResponder
from pajamas.monitor.probe import ProbeFactory, ProcessProbe
from pajamas.monitor.profiler import MemoryProfiler
from pajamas.monitor.requests import RequestRate
from pajamas.monitor.sampler import ProcessSample, SampleLoop, Sampler
from pajamas.monitor.watchlist import Watched, Watchlist
from pajamas.rpc.stats import RequestStats

log = logging.getLogger(__name__)

FIELDS: Final = ("rss", "uss", "cpu_percent", "threads", "open_files")
Gauge = Callable[[], float | None]
Publish = Callable[[str, Any], None]


@dataclass(frozen=True)
class MonitorConfig:
    """The monitor's settings."""

    interval_s: float
    history_s: float
    archive_step_s: float
    retention_days: float
    leak_window_s: float
    leak_confidence: float
    rules: tuple[LeakRule, ...]
    alert_rss_mb: float
    pressure: PressureLimits

    @classmethod
    def from_settings(cls, s: Settings) -> MonitorConfig:
        """The monitor's part of the hub's settings."""
        if s.leak_confidence >= 1:
            raise ConfigError(f"setting leak_confidence must be below 1, not {s.leak_confidence}",
                              setting="leak_confidence")
        return cls(interval_s=s.sample_interval_s, history_s=s.monitor_history_s,
                   archive_step_s=s.monitor_archive_step_s,
                   retention_days=s.monitor_retention_days, leak_window_s=s.leak_window_s,
                   leak_confidence=s.leak_confidence, rules=leak_rules(s),
                   alert_rss_mb=s.alert_rss_mb,
                   pressure=PressureLimits(s.pressure_hub_mb, s.pressure_available_mb,
                                           s.pressure_cooldown_s))


def leak_rules(s: Settings) -> tuple[LeakRule, ...]:
    """The three leak rules: RSS, open files and threads."""
    return (LeakRule("rss", s.leak_rss_mb_per_min, "MB", MB, "leak_rss_mb_per_min"),
            LeakRule("open_files", s.leak_open_files_per_min, "files", 1.0,
                     "leak_open_files_per_min"),
            LeakRule("threads", s.leak_threads_per_min, "threads", 1.0, "leak_threads_per_min"))


def available_memory() -> int:
    """Bytes the OS can still give without swapping."""
    return int(psutil.virtual_memory().available)


@final
class Monitor:
    """Samples, remembers, archives and judges the hub's processes."""

    def __init__(self, config: MonitorConfig, folder: Path, *, watchlist: Watchlist,
                 publish: Publish, gauges: Mapping[str, Gauge] | None = None,
                 sheds: list[Shed] | None = None, requests: RequestStats | None = None,
                 probe_factory: ProbeFactory = ProcessProbe,
                 memory: Callable[[], int] = available_memory,
                 clock: Callable[[], float] = time.time) -> None:
        self.config, self.watchlist, self._publish = config, watchlist, publish
        self._gauges = gauges if gauges is not None else {}
        self._memory, self._clock, self._factory = memory, clock, probe_factory
        self.sampler = Sampler(watchlist, probe_factory)
        self.history = History(max(config.history_s, config.leak_window_s,
                                   2 * config.archive_step_s), config.interval_s)
        self.archive = Archive(folder, step_s=config.archive_step_s,
                               retention_days=config.retention_days)
        self.alerts = AlertBoard(publish)
        self.leaks = LeakDetector(config.rules, window_s=config.leak_window_s,
                                  confidence=config.leak_confidence)
        self.pressure = PressureResponder(sheds if sheds is not None else [], config.pressure,
                                          publish)
        self.profiler = MemoryProfiler(clock=clock)
        self._rate = None if requests is None else RequestRate(requests, clock())
        self._next_check = -math.inf
        self._broken_gauges: set[str] = set()
        self._loop: SampleLoop | None = None
        self.latest: dict[str, Any] | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Take a first sample now, then one every interval on the sampler's thread."""
        self.tick(self._clock())
        self._loop = SampleLoop(self.tick, self.config.interval_s, self._clock)
        self._loop.start()

    def stop(self) -> None:
        """Stop sampling and write the archive's step in progress."""
        if self._loop is not None:
            self._loop.stop()
        self.archive.flush()

    def watch(self, pid: int, role: str, name: str | None = None) -> Watched:
        """Sample pid from now on; `NotFound` if it does not exist, `Forbidden` if not ours."""
        probe = self._factory(pid)
        entry = self.watchlist.watch(pid, role, name)
        self.sampler.adopt(pid, probe)
        return entry

    def unwatch(self, pid: int) -> bool:
        """Stop sampling pid and clear its alerts; False if it was not watched."""
        entry = self.watchlist.unwatch(pid)
        if entry is not None:
            self.alerts.clear_process(entry.name, self._clock())
        return entry is not None

    # -- one tick -----------------------------------------------------------------------

    def tick(self, now: float) -> dict[str, Any]:
        """Sample everything once at time now, record, judge and publish; the sample."""
        samples, gone = self.sampler.sample()
        for process in gone:
            self.alerts.clear_process(process.name, now)
        sample = self._compose(now, samples)
        values = _values(sample)
        self.history.add(now, values)
        self.archive.add(now, values)
        self._judge(now, samples, sample["system"]["available"])
        sample["alerts_raised"] = len(self.alerts.active())
        self.latest = sample
        self._publish("monitor.sample", sample)
        return sample

    def _compose(self, now: float, samples: list[ProcessSample]) -> dict[str, Any]:
        core = next((s for s in samples if s["role"] == "core"), None)
        return {"time": now, "core": core, "processes": samples,
                "rpc": None if self._rate is None else self._rate.read(now),
                "gauges": self._read_gauges(),
                "system": {"available": self._memory()}}

    def _read_gauges(self) -> dict[str, float | None]:
        values = {}
        for name, read in list(self._gauges.items()):  # a copy: stages add gauges meanwhile
            try:
                values[name] = read()
            except Exception:  # a broken gauge loses its figure, not the tick
                if name not in self._broken_gauges:  # say so once, not every second
                    self._broken_gauges.add(name)
                    log.exception("the monitor's gauge %s failed", name)
                values[name] = None
        return values

    def _judge(self, now: float, samples: list[ProcessSample], available: int) -> None:
        hub_rss = sum(s["rss"] for s in samples)
        self.alerts.sync("pressure", now, self.pressure.check(now, hub_rss, available))
        raised = {a["id"] for a in self.alerts.active()}
        self.alerts.sync("high", now, rss_ceiling(now, samples, self.config.alert_rss_mb, raised))
        if now >= self._next_check:
            self._next_check = now + self.leaks.check_every_s
            self.alerts.sync("leak", now, self.leaks.check(now, self.history,
                                                           self.watchlist.items()))
            self.history.prune(now)

    # -- queries ------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The latest sample, the raised alerts and the last pressure response."""
        latest = dict(self.latest or {"time": None, "core": None, "processes": []})
        latest["alerts"] = self.alerts.active()
        latest["pressure"] = self.pressure.last_event
        return latest

    def check(self) -> Check:
        """The "monitor" health check: degraded while an alert is raised, saying which."""
        raised = self.alerts.active()
        if not raised:
            return Check(status="ok", detail=f"sampling {len(self.watchlist)} processes every "
                                             f"{self.config.interval_s:g} s; no alerts")
        more = f" (and {len(raised) - 3} more)" if len(raised) > 3 else ""
        return Check(status="degraded",
                     detail="; ".join(a["message"] for a in raised[:3]) + more)

    def series(self, metric: str, window_s: float) -> list[Point]:
        """The metric's points over the last window_s: archived steps, then full resolution."""
        since = self._clock() - window_s
        recent = self.history.points(metric, since)
        older = self.archive.read(metric, since, recent[0][0] if recent else math.inf)
        points = older + recent
        if not points and metric not in self.history.metrics():
            raise NotFound(f"no metric {metric!r} has been recorded", metric=metric,
                           hint="monitor.metrics")
        return points


def _values(sample: dict[str, Any]) -> dict[str, float]:
    """The sample as metric name → value, the history's and the archive's vocabulary."""
    values = {f"{p['name']}.{f}": float(p[f]) for p in sample["processes"] for f in FIELDS
              if p[f] is not None}
    for key, value in (sample["rpc"] or {}).items():
        if value is not None:
            values[f"core.{key}"] = float(value)
    values.update((k, float(v)) for k, v in sample["gauges"].items() if v is not None)
    values["system.available"] = float(sample["system"]["available"])
    return values
