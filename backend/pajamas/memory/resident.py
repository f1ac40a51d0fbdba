"""`Residency`: the open personas' in-memory vectors held within a budget (memory_resident_mb).

Each open persona keeps its vectors in memory (`VectorIndex`, about 64 MB at 100,000 memories
with their ids); ten such personas would hold most of a gigabyte.  When the resident personas
pass the budget, the least recently used ones release theirs (their table and writer stay
open) and the next search loads them again.

Releases and reloads run on the persona's writer thread (`Writer.call`), in order with its
writes: the single writer stays the only one changing a table's index, and a reload reads
every committed write.  A search pins its persona (`using`) from before it loads the vectors
until it has read its last figure from them, and a pinned persona is never released.  A
release is asked of its writer from the caller's thread, never from a writer thread (two
writers waiting on each other would deadlock).  The persona just used is never released: a
persona larger than the budget alone stays resident while it is the one in use.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, final

from pajamas.errors import HubError

if TYPE_CHECKING:
    from pajamas.memory.table import MemoryTable
    from pajamas.memory.writer import Writer

log = logging.getLogger(__name__)
MB: Final = 1024 * 1024


@final
class Residency:
    """Which personas' vectors are in memory, least recently used first; thread-safe."""

    def __init__(self, budget_mb: float) -> None:
        self.budget_bytes = int(budget_mb * MB)
        self._writers: OrderedDict[str, Writer] = OrderedDict()  # least recently used first
        self._pins: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.releases = self.reloads = 0  # how many so far: tests and stats read them

    def opened(self, persona: str, writer: Writer) -> None:
        """Count a persona whose table just opened (its vectors loaded) as the latest used."""
        with self._lock:
            self._writers[persona] = writer
            self._writers.move_to_end(persona)
        self.enforce()

    def forget(self, persona: str) -> None:
        """Stop counting a persona (its writer is closing)."""
        with self._lock:
            self._writers.pop(persona, None)

    @contextmanager
    def using(self, persona: str, writer: Writer) -> Iterator[None]:
        """Pin persona's vectors in memory for the block, loading them first if released."""
        with self._lock:
            self._pins[persona] += 1
            self._writers[persona] = writer
            self._writers.move_to_end(persona)
        try:
            if not writer.table.vectors.resident:
                writer.call(self._reload)
            yield
        finally:
            with self._lock:
                self._pins[persona] -= 1
                if not self._pins[persona]:
                    del self._pins[persona]
        self.enforce()

    def enforce(self) -> int:
        """Release the least recently used unpinned personas until the rest fit: bytes freed."""
        freed = 0
        while (victim := self._victim()) is not None:
            released = self._release(*victim)
            if released is None:
                break  # pinned meanwhile, or closed: the next call looks again
            freed += released
        return freed

    def shed(self) -> int:
        """Release every unpinned persona but the latest used (memory pressure): bytes freed."""
        with self._lock:
            candidates = [(p, w) for p, w in list(self._writers.items())[:-1]
                          if w.table.vectors.resident and not self._pins[p]]
        return sum(self._release(persona, writer) or 0 for persona, writer in candidates)

    def figures(self) -> dict[str, Any]:
        """{"resident_mb", "budget_mb", "resident", "released", "releases", "reloads"}."""
        with self._lock:
            indexes = [w.table.vectors for w in self._writers.values()]
        resident = [index for index in indexes if index.resident]
        return {"resident_mb": round(sum(i.resident_bytes() for i in resident) / MB, 1),
                "budget_mb": round(self.budget_bytes / MB, 1), "resident": len(resident),
                "released": len(indexes) - len(resident), "releases": self.releases,
                "reloads": self.reloads}

    def _victim(self) -> tuple[str, Writer] | None:
        """The least recently used unpinned resident persona, if the budget is passed."""
        with self._lock:
            writers = list(self._writers.items())
            total = sum(w.table.vectors.resident_bytes() for _, w in writers)
            if total <= self.budget_bytes:
                return None
            for persona, writer in writers[:-1]:  # never the latest used
                if writer.table.vectors.resident and not self._pins[persona]:
                    return persona, writer
        return None

    def _release(self, persona: str, writer: Writer) -> int | None:
        """Release persona's vectors on its writer's thread (unless pinned by then): the
        bytes freed, None if it was not released."""
        freed: list[int] = []

        def release(table: MemoryTable) -> None:
            with self._lock:  # a search pins under this lock: none starts while this runs
                if self._pins[persona] or not table.vectors.resident:
                    return
                freed.append(table.release_vectors())
                self.releases += 1

        try:
            writer.call(release)
        except HubError as exc:  # its writer closed (persona deleted, core stopping)
            log.info("did not release the vectors of %s: %s", persona, exc)
            self.forget(persona)
            return None
        if freed:
            log.info("released the vectors of persona %s (%.1f MB): over memory_resident_mb",
                     persona, freed[0] / MB)
        return freed[0] if freed else None

    def _reload(self, table: MemoryTable) -> None:
        """Load a released table's vectors again (on its writer's thread)."""
        if not table.vectors.resident:
            table.reload_vectors()
            with self._lock:
                self.reloads += 1
