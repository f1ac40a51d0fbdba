"""Single flight: concurrent misses of one key run its loader once, and all get its result.

The first caller to miss a key becomes the leader and runs the loader; callers that miss the
same key meanwhile wait for the leader's result (or its exception) instead of loading too.
A write to the key while the load runs (set, invalidate, clear) marks the flight stale: the
leader then hands its result to the waiting callers but does not store it, because it may
have been computed from what the write replaced.
"""

from __future__ import annotations

import threading
from typing import final

from pajamas.cache.records import Key


@final
class Flight:
    """One load in progress."""

    __slots__ = ("data", "done", "error", "followers", "stale")

    def __init__(self) -> None:
        # The event is made when a first follower comes: most loads have none, and an Event
        # costs more to make and set than the rest of a miss.
        self.done: threading.Event | None = None
        self.data: bytes | None = None
        self.error: BaseException | None = None
        self.followers = 0
        self.stale = False

    def wait(self) -> bytes:
        """The packed value the leader loaded; raises what its loader raised."""
        assert self.done is not None  # made by `join` before a follower waits
        self.done.wait()
        if self.error is not None:
            raise self.error
        assert self.data is not None  # landed with data or with an error
        return self.data


@final
class SingleFlight:
    """The loads in progress, by key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[Key, Flight] = {}

    def join(self, key: Key) -> tuple[Flight, bool]:
        """The flight for key and whether this caller leads it (and must run the loader)."""
        with self._lock:
            flight = self._flights.get(key)
            if flight is None:
                flight = self._flights[key] = Flight()
                return flight, True
            if flight.done is None:
                flight.done = threading.Event()
            flight.followers += 1
            return flight, False

    def land(self, key: Key, flight: Flight, data: bytes | None,
             error: BaseException | None = None) -> None:
        """Publish the leader's packed value (or its loader's exception) to the followers and
        take the flight off the board: later misses start a new one."""
        with self._lock:
            flight.data, flight.error = data, error
            if self._flights.get(key) is flight:
                del self._flights[key]
            done = flight.done
        if done is not None:
            done.set()

    def mark_stale(self, key: Key) -> None:
        """A write to key happened: its load in progress must not be stored."""
        with self._lock:
            flight = self._flights.get(key)
            if flight is not None:
                flight.stale = True

    def mark_all_stale(self) -> None:
        """Everything was cleared: no load in progress may be stored."""
        with self._lock:
            for flight in self._flights.values():
                flight.stale = True

    def followers(self, key: Key) -> int:
        """How many callers wait for key's load in progress (0 without one)."""
        with self._lock:
            flight = self._flights.get(key)
            return 0 if flight is None else flight.followers
