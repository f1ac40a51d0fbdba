"""The monitor.* methods: samples, history, alerts, which processes to watch, memory profiles;
and `install`, which adds the "monitor" start-up stage."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from pajamas.errors import InvalidParams
from pajamas.rpc.methods import Registry
from pajamas.stages import Slot, service_check

if TYPE_CHECKING:  # the monitor itself loads psutil: only its stage imports it
    from pajamas.context import Context, Gauge, Shed
    from pajamas.monitor.service import Monitor
    from pajamas.monitor.watchlist import Watchlist
    from pajamas.rpc.stats import RequestStats

MAX_POINTS: Final = 5000
MAX_WINDOW_S: Final = 31 * 86400.0
PID_MAX: Final = 2**31 - 1  # a pid_t; a negative or zero pid would name a process group


def install(ctx: Context, watchlist: Watchlist, *, gauges: Mapping[str, Gauge],
            sheds: list[Shed], requests: RequestStats) -> Slot[Monitor]:
    """Add the "monitor" stage, its health check and the monitor.* methods; its slot.

    The monitor samples the core and every process in `watchlist`, records the `gauges`,
    calls the `sheds` under memory pressure, and reads request figures from `requests`;
    the core keeps adding to gauges, sheds and the watchlist as its stages run.
    """
    slot = ctx.stages.add("monitor", lambda: _start(ctx, watchlist, gauges, sheds, requests),
                          stop=lambda monitor: monitor.stop())
    ctx.add_check("monitor", service_check(slot, lambda monitor: monitor.check()))
    register(ctx.registry, slot)
    return slot


def _start(ctx: Context, watchlist: Watchlist, gauges: Mapping[str, Gauge], sheds: list[Shed],
           requests: RequestStats) -> Monitor:
    from pajamas.monitor.service import Monitor, MonitorConfig  # noqa: PLC0415  (psutil)

    monitor = Monitor(MonitorConfig.from_settings(ctx.settings), ctx.home / "monitor",
                      watchlist=watchlist, publish=ctx.publish, gauges=gauges, sheds=sheds,
                      requests=requests, clock=ctx.clock)
    monitor.watch(os.getpid(), "core", "core")
    monitor.start()
    return monitor


def register(registry: Registry, monitor: Slot[Monitor]) -> None:
    """Add the monitor.* methods, served by the monitor in the slot once its stage is done."""
    methods = MonitorMethods(monitor)
    for name in ("snapshot", "history", "metrics", "alerts", "watch", "unwatch",
                 "profile_memory"):
        registry.add(f"monitor.{name}", getattr(methods, name))


class MonitorMethods:
    """The monitor.* methods; each waits for the monitor's stage if it is still starting."""

    def __init__(self, monitor: Slot[Monitor]) -> None:
        self._monitor = monitor

    def snapshot(self) -> dict[str, Any]:
        """Return the latest sample of the core, the shell and every watched process.

        {"time", "core": process, "processes": [process], "rpc": {"requests_per_s",
        "latency_p50_us", "latency_p99_us"}, "gauges": {name: value}, "system": {"available"},
        "alerts": [alert], "alerts_raised", "pressure": the last pressure response or null}; a
        process is {"pid", "role", "name", "rss", "uss", "cpu_percent", "threads",
        "open_files"}.  monitor.sample events carry the same sample, without "alerts" and
        "pressure".
        """
        return self._monitor.get().snapshot()

    def history(self, metric: str, window_s: float = 3600.0,
                max_points: int = 1000) -> dict[str, Any]:
        """Return a metric's points over the last window_s seconds: {"points": [[time, value]]}.

        A metric is "<process name>.<figure>" ("core.rss", "shell.cpu_percent"), a core
        figure ("core.requests_per_s", "core.latency_p99_us", "core.pending") or
        "system.available"; monitor.metrics lists them.  Points older than the in-memory
        window come from the archive (one per minute, 7 days); at most max_points come back,
        neighbours averaged.
        """
        _check_range("window_s", window_s, 0.001, MAX_WINDOW_S)
        _check_range("max_points", max_points, 2, MAX_POINTS)
        from pajamas.monitor.history import thin  # noqa: PLC0415

        points = thin(self._monitor.get().series(metric, window_s), max_points)
        return {"metric": metric, "points": [[t, v] for t, v in points]}

    def metrics(self) -> dict[str, Any]:
        """List the metrics with recent points: {"items": [name], "total"}."""
        names = self._monitor.get().history.metrics()
        return {"items": names, "total": len(names)}

    def alerts(self) -> dict[str, Any]:
        """List the raised alerts, oldest first: {"items": [alert], "total"}.

        An alert is {"id", "kind" ("leak", "high" or "pressure"), "state", "process", "pid",
        "metric", "value", "unit", "threshold", "since", "time", "message"}.
        """
        items = self._monitor.get().alerts.active()
        return {"items": items, "total": len(items)}

    def watch(self, pid: int, role: str, name: str | None = None) -> dict[str, Any]:
        """Sample another process of the hub from now on: {"pid", "role", "name", "since"}.

        The window shell calls this with its own pid and role "shell" (name "shell"); the
        process's metrics are then "<name>.rss" and so on.  It is dropped when it exits.
        not_found if no such process runs.
        """
        _check_range("pid", pid, 1, PID_MAX)
        return self._monitor.get().watch(pid, role, name)._asdict()

    def unwatch(self, pid: int) -> dict[str, Any]:
        """Stop sampling a process and clear its alerts: {"unwatched": bool}."""
        return {"unwatched": self._monitor.get().unwatch(pid)}

    def profile_memory(self, limit: int = 10, stop: bool = False) -> dict[str, Any]:
        """Profile the core's memory with tracemalloc: the first call starts tracing.

        Each later call lists the `limit` allocation sites that grew most since the call
        before: {"tracing", "started", "since", "items": [{"file", "line", "size",
        "size_diff", "count", "count_diff"}], "traced_bytes", "peak_bytes"}; stop=true ends
        the tracing, which slows the core down while it is on.
        """
        _check_range("limit", limit, 1, 200)
        return self._monitor.get().profiler.profile(limit, stop)


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise InvalidParams(f"param {name!r} must be between {low:g} and {high:g}, not {value!r}",
                            field=name)
