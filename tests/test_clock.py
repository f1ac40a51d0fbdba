"""The wall clock jumps back an hour and forward a day: the core's steady clock does not, so
TTLs, leak trends and task times measured with it behave."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pajamas.cache.namespaces import NamespaceConfig
from pajamas.cache.tiered import Cache, CacheFolders
from pajamas.clock import SteadyClock, machine_monotonic
from pajamas.perf.benchmarks.monitor import ScriptedProbe, flat, grower, simulated_monitor
from pajamas.tasks.manager import TaskManager

HOUR, DAY = 3600.0, 86400.0


@dataclass
class Machine:
    """Elapsed time (monotonic) and a wall clock that follows it, except when it jumps."""

    elapsed: float = 1000.0
    offset: float = 1_800_000_000.0

    def monotonic(self) -> float:
        return self.elapsed

    def wall(self) -> float:
        return self.elapsed + self.offset

    def run(self, seconds: float) -> None:
        self.elapsed += seconds

    def jump(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class Reader:
    """A clock with the `now` the scripted probes read."""

    clock: Any

    @property
    def now(self) -> float:
        return float(self.clock())


def test_the_steady_clock_moves_with_elapsed_time_not_with_the_wall_clock() -> None:
    machine = Machine()
    clock = SteadyClock(machine.wall, machine.monotonic)
    start = clock()
    assert start == machine.wall()
    machine.jump(-HOUR)
    machine.run(10)
    assert clock() == start + 10
    machine.jump(DAY)
    machine.run(5)
    assert clock() == start + 15
    real = SteadyClock()
    assert real() <= SteadyClock()() and machine_monotonic()() > 0


def test_a_ttl_is_kept_to_across_wall_clock_jumps(tmp_path: Path) -> None:
    machine = Machine()
    clock = SteadyClock(machine.wall, machine.monotonic)
    config = NamespaceConfig("ns", hot_bytes=64 * 1024, warm_bytes=1024 * 1024, cold_bytes=0)
    cache = Cache([config], CacheFolders.under(tmp_path / "cache"), clock=clock)
    try:
        cache.set("ns", "minute", "fresh", ttl=60)
        cache.set("ns", "hour", "fresh", ttl=HOUR)
        machine.jump(-HOUR)  # back an hour: the minute must not last an hour longer
        machine.run(61)
        assert cache.get("ns", "minute") is None
        machine.jump(DAY)  # forward a day: the hour-long entry has lived a minute
        assert cache.get("ns", "hour") == "fresh"
    finally:
        cache.close()


def test_leak_trends_hold_across_wall_clock_jumps(tmp_path: Path) -> None:
    steady = (("flat", lambda seed, start: flat(seed, start, 1.0), False),
              ("grows", grower, True))
    for name, rss, leaks in steady:
        machine = Machine()
        clock = SteadyClock(machine.wall, machine.monotonic)
        events: list[tuple[str, Any]] = []
        probe = ScriptedProbe(Reader(clock), rss(7, clock()))  # type: ignore[arg-type]
        monitor = simulated_monitor(tmp_path / name, clock, {7: probe},  # type: ignore[arg-type]
                                    events)
        monitor.watch(7, "plugin_host", "sim")
        for second in range(1, 1800):
            machine.run(1)
            if second == 600:
                machine.jump(-HOUR)
            if second == 1200:
                machine.jump(DAY)
            monitor.tick(clock())
        alerts = [d for t, d in events if t == "monitor.alert" and d["kind"] == "leak"]
        assert bool(alerts) is leaks, (name, alerts)


def test_task_times_stay_in_order_across_wall_clock_jumps() -> None:
    machine = Machine()
    clock = SteadyClock(machine.wall, machine.monotonic)

    def work(task: Any) -> None:
        machine.jump(-HOUR)
        machine.run(2)
        machine.jump(DAY)

    manager = TaskManager(lambda topic, data: None, max_running=1, clock=clock)
    manager.start()
    try:
        task = manager.submit("chaos.clock", work)
        view = manager.wait(task.id, 60)
        assert view["created_at"] <= view["started_at"] <= view["finished_at"]
        assert view["finished_at"] - view["started_at"] == 2
    finally:
        manager.stop(60)
