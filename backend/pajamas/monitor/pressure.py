"""Memory pressure: when the hub uses too much memory, give some back without losing data.

Above `hub_mb` (the RSS of every watched process together) or below `available_mb` (what the
OS can still give), the responder calls each registered `Shed` (the cache's hot tier shrinks,
idle plugin hosts stop), collects garbage, and sends a `monitor.pressure` event saying what
it did; it does so again at most every `cooldown_s` while the pressure lasts.  A shed only ever
drops what can be rebuilt: that is the contract of the callbacks registered here.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, final

from pajamas.context import Shed
from pajamas.monitor.alerts import Alert

log = logging.getLogger(__name__)

MB: Final = 1024 * 1024
Publish = Callable[[str, Any], None]


@dataclass(frozen=True)
class PressureLimits:
    """When the hub is under pressure, and how often it responds while it stays so."""

    hub_mb: float
    available_mb: float
    cooldown_s: float


@final
class PressureResponder:
    """Checks the hub's memory at each tick and responds to pressure."""

    def __init__(self, sheds: list[Shed], limits: PressureLimits, publish: Publish, *,
                 collect: Callable[[], int] = gc.collect) -> None:
        self._sheds = sheds  # the caller's list: services append theirs as they start
        self._limits, self._publish, self._collect = limits, publish, collect
        self._last_response = -float("inf")
        self.last_event: dict[str, Any] | None = None

    def check(self, now: float, hub_rss: int, available: int) -> dict[str, Alert]:
        """Respond if under pressure (and not too recently); the pressure alert that holds."""
        alert = self._alert(now, hub_rss, available)
        if alert is not None and now - self._last_response >= self._limits.cooldown_s:
            self._last_response = now
            self._respond(now, alert, hub_rss, available)
        return {} if alert is None else {alert["id"]: alert}

    def _alert(self, now: float, hub_rss: int, available: int) -> Alert | None:
        hub_mb, free_mb = hub_rss / MB, available / MB
        if hub_mb > self._limits.hub_mb:
            return _pressure(now, "rss", hub_mb, self._limits.hub_mb,
                             f"the hub's processes use {hub_mb:.0f} MB, over "
                             f"{self._limits.hub_mb:g} MB (setting pressure_hub_mb)")
        if free_mb < self._limits.available_mb:
            return _pressure(now, "available", free_mb, self._limits.available_mb,
                             f"the OS has {free_mb:.0f} MB left, under "
                             f"{self._limits.available_mb:g} MB (setting pressure_available_mb)")
        return None

    def _respond(self, now: float, alert: Alert, hub_rss: int, available: int) -> None:
        shed = [_release(s) for s in list(self._sheds)]
        collected = self._collect()
        event = {"time": now, "reason": alert["message"], "hub_rss": hub_rss,
                 "available": available, "shed": shed, "gc_collected": collected}
        self.last_event = event
        log.warning("memory pressure: %s; shed %s, collected %d objects", alert["message"],
                    ", ".join(s["name"] for s in shed) or "nothing registered", collected)
        self._publish("monitor.pressure", event)


def _release(shed: Shed) -> dict[str, Any]:
    try:
        return {"name": shed.name, "freed": int(shed.release()), "error": None}
    except Exception as exc:  # one failing shed must not keep the others from running
        log.exception("shedding %s under memory pressure failed", shed.name)
        return {"name": shed.name, "freed": 0, "error": f"{type(exc).__name__}: {exc}"}


def _pressure(now: float, metric: str, value: float, threshold: float, message: str) -> Alert:
    return Alert(id=f"pressure:hub.{metric}", kind="pressure", state="raised", process="hub",
                 pid=None, metric=metric, value=value, unit="MB", threshold=threshold,
                 since=now, time=now, message=message)
