"""The core's request figures per tick: requests per second and latency p50/p99."""

from __future__ import annotations

from typing import TypedDict, final

from pajamas.rpc.stats import RequestStats

_NS_PER_US = 1_000


class RequestFigures(TypedDict):
    """Requests answered per second since the last tick, and their latency (None if none)."""

    requests_per_s: float
    latency_p50_us: float | None
    latency_p99_us: float | None


@final
class RequestRate:
    """Turns the server's cumulative `RequestStats` into per-tick figures."""

    def __init__(self, stats: RequestStats, now: float) -> None:
        self._stats = stats
        self._count, self._time = stats.count, now

    def read(self, now: float) -> RequestFigures:
        """The figures since the previous read."""
        count = self._stats.count
        done, elapsed = count - self._count, now - self._time
        self._count, self._time = count, now
        latencies = sorted(self._stats.latest(done))
        if not latencies:
            return RequestFigures(requests_per_s=0.0, latency_p50_us=None, latency_p99_us=None)
        return RequestFigures(requests_per_s=done / elapsed if elapsed > 0 else 0.0,
                              latency_p50_us=_rank(latencies, 0.50) / _NS_PER_US,
                              latency_p99_us=_rank(latencies, 0.99) / _NS_PER_US)


def _rank(ordered: list[int], q: float) -> float:
    """The nearest-rank q-quantile of sorted values."""
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])
