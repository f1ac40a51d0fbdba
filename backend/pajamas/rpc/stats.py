"""The RPC server's own figures: a request counter and a bounded reservoir of latencies.

Only the server's loop thread writes (`record` costs a list store and an add, well under a
microsecond on the ping path); the monitor reads from its own thread and tolerates a reading
that is one request stale.
"""

from __future__ import annotations

from typing import Final, final

RESERVOIR: Final = 4096  # the latest requests kept; a power of two so the index is a mask


@final
class RequestStats:
    """Requests answered, and the latency of the latest RESERVOIR of them, in nanoseconds."""

    __slots__ = ("_latencies", "count")

    def __init__(self) -> None:
        self.count = 0
        self._latencies = [0] * RESERVOIR

    def record(self, elapsed_ns: int) -> None:
        """One request answered, elapsed_ns after it arrived."""
        n = self.count
        self._latencies[n & (RESERVOIR - 1)] = elapsed_ns
        self.count = n + 1

    def latest(self, n: int) -> list[int]:
        """The latencies of the latest min(n, RESERVOIR, count) requests, in any order."""
        n = min(n, RESERVOIR, self.count)
        end = self.count & (RESERVOIR - 1)
        ring = self._latencies
        if n <= end:
            return ring[end - n:end]
        return ring[:end] + ring[RESERVOIR - (n - end):]
