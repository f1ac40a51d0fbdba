"""The rolling history: the last `window_s` of every metric at full resolution, in memory.

Each metric is a ring of (time, value) pairs in two `array('d')`s (16 bytes a point, versus
~100 for a deque of tuples), so 30 processes, 5 figures each, 15 minutes at 1 s stay near 3 MB.
A metric that gets no point for a whole window (its process exited) is dropped.
"""

from __future__ import annotations

import bisect
import math
import threading
from array import array
from collections.abc import Mapping
from typing import final

Point = tuple[float, float]


@final
class Ring:
    """A bounded series of (time, value) points, oldest first; the oldest go when it is full."""

    __slots__ = ("_start", "_times", "_values", "capacity")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._times = array("d")
        self._values = array("d")
        self._start = 0  # index of the oldest point once the arrays are full

    def append(self, t: float, value: float) -> None:
        """Add the newest point."""
        if len(self._times) < self.capacity:
            self._times.append(t)
            self._values.append(value)
            return
        self._times[self._start], self._values[self._start] = t, value
        self._start = (self._start + 1) % self.capacity

    def points(self, since: float = -math.inf) -> list[Point]:
        """The points at or after since, oldest first."""
        times, values = self._ordered()
        first = bisect.bisect_left(times, since)
        return list(zip(times[first:], values[first:], strict=True))

    def last_time(self) -> float:
        """Time of the newest point (-inf when empty)."""
        if not self._times:
            return -math.inf
        return self._times[self._start - 1]

    def __len__(self) -> int:
        return len(self._times)

    def _ordered(self) -> tuple[array[float], array[float]]:
        s = self._start
        if s == 0:
            return self._times, self._values
        return self._times[s:] + self._times[:s], self._values[s:] + self._values[:s]


@final
class History:
    """Every metric's recent points; thread-safe (the sampler writes, RPC workers read)."""

    def __init__(self, window_s: float, interval_s: float) -> None:
        self.window_s = window_s
        self._capacity = math.ceil(window_s / interval_s) + 2
        self._series: dict[str, Ring] = {}
        self._lock = threading.Lock()

    def add(self, t: float, values: Mapping[str, float]) -> None:
        """Record one tick's values (metric name → value) at time t."""
        with self._lock:
            for metric, value in values.items():
                ring = self._series.get(metric)
                if ring is None:
                    ring = self._series[metric] = Ring(self._capacity)
                ring.append(t, value)

    def points(self, metric: str, since: float = -math.inf) -> list[Point]:
        """The metric's points at or after since (empty for an unknown metric)."""
        with self._lock:
            ring = self._series.get(metric)
            return [] if ring is None else ring.points(since)

    def metrics(self) -> list[str]:
        """The names of the metrics held, sorted."""
        with self._lock:
            return sorted(self._series)

    def prune(self, now: float) -> list[str]:
        """Drop metrics with no point in the last window; their names."""
        horizon = now - self.window_s
        with self._lock:
            stale = [m for m, ring in self._series.items() if ring.last_time() < horizon]
            for metric in stale:
                del self._series[metric]
        return stale


def thin(points: list[Point], max_points: int) -> list[Point]:
    """At most max_points points: consecutive runs averaged (time and value) into one."""
    if len(points) <= max_points:
        return points
    size = math.ceil(len(points) / max_points)
    runs = (points[i:i + size] for i in range(0, len(points), size))
    return [(sum(t for t, _ in run) / len(run), sum(v for _, v in run) / len(run))
            for run in runs]
