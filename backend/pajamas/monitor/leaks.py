"""Leak and drift detection: steady growth of a process's RSS, open files or threads.

For each watched process and rule, the detector takes the last `window_s` of the metric
(never from before the process was watched), reduces it to medians of `buckets` spans, and
fits a Theil-Sen slope.  A leak is raised when the slope's lower confidence bound is above
the rule's threshold *and* each half of the window grows on its own (a single step, such as
a cache filling once, leaves one half flat); it clears once the slope itself falls below the
threshold.  The gap between the two is the hysteresis that keeps an alert from flapping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, final

from pajamas.monitor.alerts import Alert
from pajamas.monitor.history import History
from pajamas.monitor.trend import (
    Point,
    Trend,
    bucket_medians,
    grows_in_both_halves,
    may_exceed,
    theil_sen,
)
from pajamas.monitor.watchlist import Watched

MIN_BUCKETS: Final = 8
COVERAGE: Final = 0.8  # judge a series once it spans this share of the window


@dataclass(frozen=True)
class LeakRule:
    """Growth of one figure that counts as a leak: more than per_min units a minute."""

    field: str  # the sample's field: "rss", "open_files", "threads"
    per_min: float
    unit: str  # what per_min counts: "MB", "files", "threads"
    scale: float  # the field's raw units in one unit (bytes in a MB)
    setting: str  # where per_min comes from, for the message


@final
class LeakDetector:
    """Judges every (watched process, rule) series; remembers which are leaking."""

    def __init__(self, rules: Sequence[LeakRule], *, window_s: float, confidence: float,
                 buckets: int = 30) -> None:
        self.rules, self.window_s, self.confidence = tuple(rules), window_s, confidence
        self.buckets = buckets
        self._leaking: set[str] = set()

    @property
    def check_every_s(self) -> float:
        """How often a check can see something new: once per bucket."""
        return self.window_s / self.buckets

    def check(self, now: float, history: History, watched: Sequence[Watched]) -> dict[str, Alert]:
        """The leak alerts that hold now, by id."""
        current: dict[str, Alert] = {}
        for process in watched:
            for rule in self.rules:
                alert = self._judge(now, history, process, rule)
                if alert is not None:
                    current[alert["id"]] = alert
        self._leaking = set(current)
        return current

    def _judge(self, now: float, history: History, process: Watched,
               rule: LeakRule) -> Alert | None:
        metric = f"{process.name}.{rule.field}"
        start = max(now - self.window_s, process.since)
        if now - start < COVERAGE * self.window_s:
            return None
        raw = history.points(metric, start)
        if not may_exceed(raw, rule.per_min * rule.scale / 60):
            return None  # flat: most series of a healthy hub end here, at a fraction of the cost
        points = bucket_medians(raw, start, now, self.buckets)
        trend = theil_sen(points, self.confidence) if len(points) >= MIN_BUCKETS else None
        if trend is None or not self._leaks(f"leak:{metric}", trend, points, rule):
            return None
        return self._alert(now, process, rule, trend, points)

    def _leaks(self, alert_id: str, trend: Trend, points: list[Point], rule: LeakRule) -> bool:
        per_min = 60 / rule.scale
        if alert_id in self._leaking:  # clear only once the estimate itself drops
            return trend.slope * per_min >= rule.per_min
        return trend.low * per_min > rule.per_min and grows_in_both_halves(points, trend.slope)

    def _alert(self, now: float, process: Watched, rule: LeakRule, trend: Trend,
               points: list[Point]) -> Alert:
        per_min = 60 / rule.scale
        slope, low = trend.slope * per_min, trend.low * per_min
        span = points[-1][0] - points[0][0]
        message = (f"{process.name} (pid {process.pid}) {rule.field} grows {slope:.2f} "
                   f"{rule.unit}/min (at least {low:.2f} at {self.confidence:.0%} confidence) "
                   f"over the last {span:.0f} s; threshold {rule.per_min:g} {rule.unit}/min "
                   f"(setting {rule.setting})")
        return Alert(id=f"leak:{process.name}.{rule.field}", kind="leak", state="raised",
                     process=process.name, pid=process.pid, metric=rule.field, value=slope,
                     unit=f"{rule.unit}/min", threshold=rule.per_min, since=now, time=now,
                     message=message)
