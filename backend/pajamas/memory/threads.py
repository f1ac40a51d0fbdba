"""`ThreadTails`: the context the hub gives a memory of a thread, from the turns before it.

A memory added with a `thread` and no `context` gets, as its context, the texts of the
`CONTEXT_TURNS` memories added to that thread before it (enrich.py says why and what it gains).
The last turns of the threads in use are kept in memory, so an add reads nothing; a thread
not seen since the start is read from the table once.  Turns count in the order they are
added (an add_batch's items in their order); an edit or a deletion of an earlier turn does not
change the context already indexed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Final, final

from pajamas.memory.enrich import CONTEXT_TURNS
from pajamas.memory.model import NewMemory

THREADS: Final = 4096  # the threads whose last turns are kept (least recently used go)
Read = Callable[[str, str], list[str]]  # (persona, thread) -> its last texts, oldest first


@final
class ThreadTails:
    """The last turns of recently used threads, by persona and thread."""

    def __init__(self, read: Read, *, size: int = THREADS) -> None:
        self._read, self._size = read, size
        self._tails: OrderedDict[tuple[str, str], deque[str]] = OrderedDict()
        self._lock = threading.Lock()

    def fill(self, persona: str, items: list[NewMemory]) -> list[NewMemory]:
        """items, each of a thread and with no context given its thread's previous turns."""
        if not any(item.get("thread") for item in items):
            return items
        with self._lock:
            return [self._next(persona, item) for item in items]

    def _next(self, persona: str, item: NewMemory) -> NewMemory:
        thread = item.get("thread")
        if not thread:
            return item
        tail = self._tail(persona, thread)
        filled = item if item.get("context") or not tail else item | {"context": " ".join(tail)}
        tail.append(item["text"])
        return filled

    def _tail(self, persona: str, thread: str) -> deque[str]:
        key = (persona, thread)
        tail = self._tails.get(key)
        if tail is None:
            tail = self._tails[key] = deque(self._read(persona, thread)[-CONTEXT_TURNS:],
                                            maxlen=CONTEXT_TURNS)
            while len(self._tails) > self._size:
                self._tails.popitem(last=False)
        self._tails.move_to_end(key)
        return tail

    def forget(self, persona: str) -> None:
        """Drop persona's threads (its memory was deleted or replaced)."""
        with self._lock:
            for key in [key for key in self._tails if key[0] == persona]:
                del self._tails[key]
