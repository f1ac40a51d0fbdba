"""Alerts: raised once when a condition starts, cleared once when it ends.

Detectors report the conditions that hold now, by kind; the board compares them with what is
already raised, so a leak seen at every check is one `monitor.alert` event ("raised") and one
log line, not one per check, and a "cleared" event follows when the detector stops seeing it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypedDict, final

log = logging.getLogger(__name__)

Kind = Literal["leak", "high", "pressure"]
Publish = Callable[[str, Any], None]


class Alert(TypedDict):
    """One alert: which process and metric, by how much, against which threshold."""

    id: str
    kind: Kind
    state: Literal["raised", "cleared"]
    process: str
    pid: int | None
    metric: str
    value: float
    unit: str
    threshold: float
    since: float
    time: float
    message: str


@final
class AlertBoard:
    """The raised alerts, by id; sends an event and a log line at each raise and clear."""

    def __init__(self, publish: Publish) -> None:
        self._publish = publish
        self._raised: dict[str, Alert] = {}
        self._lock = threading.Lock()

    def sync(self, kind: Kind, now: float, current: Mapping[str, Alert]) -> None:
        """Make the raised alerts of kind be exactly current (by id): raise new, clear gone."""
        with self._lock:
            gone = [a for a in self._raised.values()
                    if a["kind"] == kind and a["id"] not in current]
            fresh = [a for i, a in current.items() if i not in self._raised]
            for alert in current.values():
                if alert["id"] in self._raised:  # still true: update the figures, say nothing
                    alert["since"] = self._raised[alert["id"]]["since"]
                self._raised[alert["id"]] = alert
            for alert in gone:
                del self._raised[alert["id"]]
        for alert in fresh:
            self._announce(alert)
        for alert in gone:
            self._announce(_cleared(alert, now))

    def clear_process(self, process: str, now: float) -> None:
        """Clear every alert about process (it exited or is no longer watched)."""
        with self._lock:
            gone = [a for a in self._raised.values() if a["process"] == process]
            for alert in gone:
                del self._raised[alert["id"]]
        for alert in gone:
            self._announce(_cleared(alert, now, "the process is no longer watched"))

    def active(self) -> list[Alert]:
        """The raised alerts, oldest first."""
        with self._lock:
            return sorted(self._raised.values(), key=lambda a: a["since"])

    def _announce(self, alert: Alert) -> None:
        level = logging.WARNING if alert["state"] == "raised" else logging.INFO
        log.log(level, "alert %s %s: %s", alert["state"], alert["id"], alert["message"])
        self._publish("monitor.alert", alert)


def _cleared(alert: Alert, now: float, why: str = "") -> Alert:
    ended = Alert(**alert)
    ended["state"], ended["time"] = "cleared", now
    ended["message"] = f"cleared: {why or 'the condition ended'} ({alert['message']})"
    return ended
