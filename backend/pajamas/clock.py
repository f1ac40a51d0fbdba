"""`SteadyClock`: the core's clock, wall time that moves only as the machine's uptime does.

Times the hub keeps (created_at, TTL expiries, samples, task times) are seconds since the
epoch, but the system's wall clock may jump: an NTP step, a user setting it, a VM resumed.
Durations and deadlines measured with a jumping clock go wrong: a TTL that lives an hour
longer, a leak trend over samples out of order, a task that finished before it started.
So the core reads the wall clock once, at start, and moves it on with a monotonic clock:
CLOCK_BOOTTIME where there is one (Linux: it counts time suspended, so a laptop's sleep is
not lost), else `time.monotonic`.  A jump of the system clock reaches the hub at its next
start; until then its times stay in one consistent order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import final


def _uptime() -> float:
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def machine_monotonic() -> Callable[[], float]:
    """The monotonic clock that also counts suspended time where the OS has one."""
    if hasattr(time, "CLOCK_BOOTTIME"):
        try:
            _uptime()
        except OSError:  # a kernel without it
            return time.monotonic
        return _uptime
    return time.monotonic


@final
class SteadyClock:
    """Seconds since the epoch, anchored to wall() when made, moved on by monotonic()."""

    def __init__(self, wall: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] | None = None) -> None:
        self._monotonic = monotonic or machine_monotonic()
        self._origin = self._monotonic()
        self._anchor = wall()

    def __call__(self) -> float:
        """Now: the anchor plus the monotonic time since it was taken."""
        return self._anchor + (self._monotonic() - self._origin)
