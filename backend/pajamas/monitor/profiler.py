"""tracemalloc on demand: which lines of the core's code allocate more and more memory.

Tracing costs memory and time, so it is off until asked for: the first call starts it, each
later call compares a new snapshot with the previous one and lists the allocation sites that
grew the most, and a call with stop=True ends it.
"""

from __future__ import annotations

import threading
import time
import tracemalloc
from collections.abc import Callable
from typing import Any, Final, final

_IGNORED: Final = (tracemalloc.__file__, "<frozen importlib._bootstrap>",
                   "<frozen importlib._bootstrap_external>", "<unknown>")


@final
class MemoryProfiler:
    """Starts tracemalloc on first use and diffs snapshots between calls."""

    def __init__(self, frames: int = 1, clock: Callable[[], float] = time.time) -> None:
        self._frames, self._clock = frames, clock
        self._lock = threading.Lock()
        self._previous: tracemalloc.Snapshot | None = None
        self._previous_at = 0.0

    def profile(self, limit: int = 10, stop: bool = False) -> dict[str, Any]:
        """Start tracing, or list the `limit` sites that grew most since the previous call."""
        with self._lock:
            previous = self._previous if tracemalloc.is_tracing() else None
            if previous is None:
                tracemalloc.start(self._frames)
                items, since = [], self._clock()
            else:
                items, since = _growth(previous, limit), self._previous_at
            self._previous, self._previous_at = _snapshot(), self._clock()
            traced, peak = tracemalloc.get_traced_memory()
            if stop:
                tracemalloc.stop()
                self._previous = None
        return {"tracing": not stop, "started": previous is None, "since": since, "items": items,
                "traced_bytes": traced, "peak_bytes": peak}



def _growth(previous: tracemalloc.Snapshot, limit: int) -> list[dict[str, Any]]:
    diffs = _snapshot().compare_to(previous, "lineno")
    growing = sorted((d for d in diffs if d.size_diff > 0), key=lambda d: -d.size_diff)
    return [{"file": d.traceback[0].filename, "line": d.traceback[0].lineno, "size": d.size,
             "size_diff": d.size_diff, "count": d.count, "count_diff": d.count_diff}
            for d in growing[:limit]]


def _snapshot() -> tracemalloc.Snapshot:
    return tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, pattern) for pattern in _IGNORED])
