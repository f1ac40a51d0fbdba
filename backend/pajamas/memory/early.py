"""`EarlyAdds`: adds that come before the memory store is open, acknowledged from a journal.

Opening the store imports LanceDB (about 2 s of CPU); the embedding model loads in about
0.3 s.  So an add that comes first is embedded, appended to its persona's journal (fsynced:
journal.py) and acknowledged, while the store opens in the background.  The opener then
calls `take_over`: from that moment adds go to the store, and every journal is replayed into
its table before anyone else is given the store.  A lock orders the two: an add appends
either before the takeover (and is replayed) or not at all (and goes to the store).

Replaying is replay.py's; this module imports no pyarrow (about 0.2 s), as the first add
waits for what it imports.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, final

from pajamas.memory.dates import dated
from pajamas.memory.journal import Journals, Record
from pajamas.memory.model import at_or

if TYPE_CHECKING:
    from pajamas.embedding.service import EmbeddingService
    from pajamas.memory.model import NewMemory
    from pajamas.memory.store import MemoryStore


@final
class EarlyAdds:
    """Journals adds until the store takes over, then replays the journals into it."""

    def __init__(self, journals: Journals, clock: Callable[[], float]) -> None:
        self._journals, self._clock = journals, clock
        self._lock = threading.Lock()
        self._over = False

    def add(self, persona: str, items: list[NewMemory],
            embeddings: EmbeddingService) -> list[str] | None:
        """Embed and journal items: their ids once on disk; None once the store took over."""
        if self._over:
            return None
        now, ids = self._clock(), [uuid.uuid4().hex for _ in items]
        vectors = embeddings.embed([dated(item["text"], at_or(item, now)) for item in items])
        record = Record.new(items, ids, vectors, created_at=now, model=embeddings.model_id)
        with self._lock:
            if self._over:
                return None
            self._journals.of(persona).append(record)
        return ids

    def take_over(self, store: MemoryStore) -> None:
        """Send every later add to store, once each journal is replayed into it."""
        from pajamas.memory.replay import replay  # noqa: PLC0415  (pyarrow: loaded by now)

        with self._lock:
            self._over = True
            for persona in self._journals.personas():
                replay(store, persona, self._journals)
            self._journals.close()

    def forget(self, persona: str) -> None:
        """Delete persona's journal (the persona is being deleted)."""
        with self._lock:
            self._journals.remove(persona)

    def close(self) -> None:
        """Close the journal files (what they hold waits for the next start)."""
        with self._lock:
            self._journals.close()

