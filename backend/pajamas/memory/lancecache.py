"""LanceDB's caches, shared by every table: their size, measured seldom since it walks them all.

LanceDB reports its caches' size by walking every entry: 11-20 ms a read at 8,000 entries
(10 personas of 10,000 memories, under load), against 0.01 ms for the count of entries,
which it keeps as it goes.  The monitor reads both every second, so under that load the walk
alone took 1-2% of a core (not measured on an idle hub).  The size is now measured at most
once every `MEASURE_EVERY_S`, and the last measure answers in between; the count is read
each time.  It made no difference to the overload's busy replies (3 interleaved pairs).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Final

MEASURE_EVERY_S: Final = 30.0


class LanceCaches:
    """The figures of a LanceDB session's caches: {"bytes", "items", "limit"}."""

    def __init__(self, session: Any, limit: int, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._session, self._limit, self._clock = session, limit, clock
        self._lock = threading.Lock()
        self._bytes = 0
        self._measured: float | None = None  # when, by clock

    def figures(self) -> dict[str, int]:
        """bytes (measured at most every `MEASURE_EVERY_S`), items (now) and limit."""
        with self._lock:
            now = self._clock()
            if self._measured is None or now - self._measured >= MEASURE_EVERY_S:
                self._bytes, self._measured = int(self._session.size_bytes), now
            measured = self._bytes
        return {"bytes": measured, "items": int(self._session.approx_num_items),
                "limit": self._limit}
