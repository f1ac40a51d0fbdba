"""The monitor's tick with scripted processes and a made-up clock: samples, exits, history."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from pajamas.config import Settings
from pajamas.errors import NotFound
from pajamas.monitor.probe import Probe, Reading
from pajamas.monitor.service import Monitor, MonitorConfig
from pajamas.monitor.watchlist import Watchlist
from pajamas.perf.benchmarks.monitor import ScriptedProbe, SimClock, simulated_monitor

MB = 1024 * 1024


class Exits:
    """A probe of a process that exits after `reads` reads."""

    def __init__(self, reads: int) -> None:
        self.left = reads

    def read(self) -> Reading:
        self.left -= 1
        if self.left < 0:
            raise NotFound("process 9 has exited", pid=9)
        return Reading(rss=5 * MB, uss=4 * MB, cpu_percent=2.0, threads=3, open_files=4)


def make(tmp_path: Path, clock: SimClock, probes: dict[int, Probe],
         **settings: Any) -> tuple[Monitor, list[tuple[str, Any]]]:
    events: list[tuple[str, Any]] = []
    chosen = dataclasses.replace(Settings(), **settings)
    return simulated_monitor(tmp_path, clock, probes, events, settings=chosen), events


def test_a_tick_samples_every_process_and_publishes_the_sample(tmp_path: Path) -> None:
    clock = SimClock()
    probes: dict[int, Probe] = {1: ScriptedProbe(clock, lambda t: 40 * MB), 9: Exits(5)}
    monitor, events = make(tmp_path, clock, probes)
    monitor.watch(1, "core", "core")
    monitor.watch(9, "shell", "shell")
    sample = monitor.tick(clock.now)
    core = sample["core"]
    assert {"pid", "rss", "cpu_percent", "threads"} <= set(core)  # the status page's keys
    assert core["rss"] == 40 * MB and core["role"] == "core" and core["name"] == "core"
    assert [p["name"] for p in sample["processes"]] == ["core", "shell"]
    assert sample["system"]["available"] > 0 and sample["alerts_raised"] == 0
    assert events[-1] == ("monitor.sample", sample)
    assert monitor.history.points("shell.uss") == [(clock.now, 4.0 * MB)]


def test_an_exited_process_is_dropped(tmp_path: Path) -> None:
    clock = SimClock()
    monitor, _ = make(tmp_path, clock, {9: Exits(2)})
    monitor.watch(9, "plugin_host", "host")
    for _ in range(4):
        clock.now += 1
        monitor.tick(clock.now)
    assert monitor.watchlist.items() == [] and monitor.snapshot()["processes"] == []


def test_a_broken_gauge_loses_its_figure_not_the_tick(tmp_path: Path) -> None:
    def broken() -> float:
        raise ZeroDivisionError

    clock = SimClock()
    gauges = {"core.pending": lambda: 3.0, "cache.bytes": broken}
    monitor = Monitor(MonitorConfig.from_settings(Settings()), tmp_path,
                      watchlist=Watchlist(clock), publish=lambda topic, data: None,
                      gauges=gauges, memory=lambda: 1, clock=clock)
    sample = monitor.tick(clock.now)
    assert sample["gauges"] == {"core.pending": 3.0, "cache.bytes": None}
    assert monitor.series("core.pending", 60) == [(clock.now, 3.0)]


def test_history_spans_a_restart_through_the_archive(tmp_path: Path) -> None:
    clock = SimClock()
    probes: dict[int, Probe] = {1: ScriptedProbe(clock, lambda t: (t - 1_800_000_000) * MB)}
    first, _ = make(tmp_path, clock, probes, monitor_archive_step_s=10.0)
    first.watch(1, "core", "core")
    for _ in range(30):
        clock.now += 1
        first.tick(clock.now)
    first.stop()
    second, _ = make(tmp_path, clock, probes, monitor_archive_step_s=10.0)
    clock.now += 5
    points = second.series("core.rss", 60)
    assert [round(v / MB, 1) for _, v in points] == [5.0, 14.5, 24.5, 30.0]
    with pytest.raises(NotFound, match=r"no metric 'nobody\.rss'") as missing:
        second.series("nobody.rss", 60)
    assert missing.value.data["hint"] == "monitor.metrics"
