"""Admission: whether a request may wait for a worker, or is answered ``busy`` at once.

A request is shed when its expected wait is over ``max_queue_wait_s``.  The wait is the larger
of two measures: how long the oldest waiting request has waited (its sojourn, as in CoDel), and
the requests waiting times the recent gap between two completions while requests waited (the
core's pace when saturated).  The sojourn alone reacts late: a burst at 4 times the core's pace
queued 4 times `max_queue_wait_s` of work before the oldest request had waited that long (2 s
of work, recovered from in 1.24 s, for a limit of 0.5 s).  The count `max_pending_requests`
stays as a hard cap on memory.  Nothing here needs a model of how long methods take.
"""

from __future__ import annotations

from collections import deque
from typing import Final, Protocol

from pajamas.errors import Busy

RETRY_FLOOR_MS: Final = 10  # the least retry_after_ms a busy reply suggests
PACE_WEIGHT: Final = 0.1  # of each new gap in the moving average of the gaps


class Waiting(Protocol):
    """A request handed to the workers: when it arrived, and whether a worker took it."""

    arrived_ns: int
    started: bool


class Admission:
    """The requests waiting for a worker and the pace at which they are taken (loop only)."""

    def __init__(self, max_wait_s: float, max_pending: int) -> None:
        self.max_wait_s, self.max_pending = max_wait_s, max_pending
        self._max_wait_ns = int(max_wait_s * 1e9)
        self._queued: deque[Waiting] = deque()  # handed to workers, maybe started since
        self._gap_ns = 0.0  # the moving average of the gaps between completions while saturated
        self._last_done_ns = 0

    def admitted(self, request: Waiting) -> None:
        """request now waits for a worker."""
        self._queued.append(request)

    def done(self, now_ns: int) -> None:
        """A request was answered at now_ns: the gap since the last counts if others waited."""
        if self._waiting() and self._last_done_ns:
            gap = now_ns - self._last_done_ns
            self._gap_ns = gap if not self._gap_ns else (
                self._gap_ns + PACE_WEIGHT * (gap - self._gap_ns))
        self._last_done_ns = now_ns

    def refusal(self, now_ns: int, pending: int) -> Busy | None:
        """None if a request arriving at now_ns may wait; else the `busy` to answer."""
        waiting = self._waiting()
        sojourn = now_ns - self._queued[0].arrived_ns if waiting else 0
        expected = max(sojourn, int(waiting * self._gap_ns))
        retry_ms = max(RETRY_FLOOR_MS, expected // 1_000_000)
        if expected > self._max_wait_ns:
            return Busy(f"a new request would wait about {expected / 1e9:.2f} s for a worker, "
                        f"over {self.max_wait_s:g} s (setting max_queue_wait_s); retry in a "
                        "moment", retry_after_ms=retry_ms)
        if pending >= self.max_pending:
            return Busy(f"{pending} requests are waiting (setting max_pending_requests); retry "
                        "in a moment", retry_after_ms=retry_ms)
        return None

    def _waiting(self) -> int:
        """How many requests wait for a worker (the started ones leave the queue's head)."""
        queued = self._queued
        while queued and queued[0].started:
            queued.popleft()
        return len(queued)
