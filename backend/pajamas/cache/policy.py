"""S3-FIFO, the hot tier's eviction policy, counted in bytes.

S3-FIFO (Yang et al., "FIFO queues are all you need for cache eviction", SOSP 2023) keeps three
FIFO queues: a small one (10% of the bytes) that new entries enter, a main one for entries that
proved themselves, and a ghost queue of keys recently evicted from the small one.

- A hit only raises the entry's ``freq`` (capped at `MAX_FREQ`): no queue moves, so the hot
  tier's read path stays a dict lookup and two increments, without a lock.
- Eviction from the small queue sends an entry that was hit since it arrived to the main
  queue; an entry never hit leaves (its key goes to the ghost queue).  One-hit wonders thus
  leave after a short stay instead of pushing out what is used.
- Eviction from the main queue gives every entry with ``freq > 0`` another round (freq - 1).
- A key that comes back while its ghost is remembered enters the main queue directly.

On skewed traces it beats LRU by several points of hit rate (the perf suite's `cache.hit_rate`
measures it against an LRU of the same byte budget).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Final, Generic, Protocol, TypeVar

#: A hit raises an entry's freq up to this; eviction from main lowers it by one per round.
MAX_FREQ: Final = 3
#: The small queue's share of the budget (the paper's 10%).
SMALL_SHARE: Final = 0.1


class Slot(Protocol):
    """What the policy needs of an entry; the hot tier's `Entry` has it."""

    key: Hashable
    size: int
    freq: int
    in_main: bool


E = TypeVar("E", bound=Slot)


class S3Fifo(Generic[E]):
    """The queues and byte counts of S3-FIFO; the caller serializes calls (one lock)."""

    def __init__(self) -> None:
        self._small: OrderedDict[Hashable, E] = OrderedDict()
        self._main: OrderedDict[Hashable, E] = OrderedDict()
        self._ghost: OrderedDict[Hashable, None] = OrderedDict()
        self.small_bytes = 0
        self.main_bytes = 0

    @property
    def nbytes(self) -> int:
        """Bytes of every entry held."""
        return self.small_bytes + self.main_bytes

    def __len__(self) -> int:
        return len(self._small) + len(self._main)

    def __iter__(self) -> Iterator[E]:
        """Entries from the most to the least valuable: main newest first, then small."""
        yield from reversed(self._main.values())
        yield from reversed(self._small.values())

    def insert(self, entry: E) -> None:
        """Add a new entry: to main if its key's ghost is remembered, else to small."""
        if entry.key in self._ghost:
            del self._ghost[entry.key]
            self._to_main(entry)
        else:
            entry.freq = 0
            entry.in_main = False
            self._small[entry.key] = entry
            self.small_bytes += entry.size

    def remove(self, entry: E) -> None:
        """Take entry out of its queue (it was replaced, invalidated or expired)."""
        if entry.in_main:
            del self._main[entry.key]
            self.main_bytes -= entry.size
        else:
            del self._small[entry.key]
            self.small_bytes -= entry.size

    def evict(self, budget: int) -> E:
        """Remove and return the entry S3-FIFO evicts next; the policy must hold one."""
        if self._main and self.small_bytes < budget * SMALL_SHARE:
            return self._evict_main()
        victim = self._evict_small()
        return victim if victim is not None else self._evict_main()

    def clear(self) -> None:
        """Forget every entry and ghost."""
        for queue in (self._small, self._main, self._ghost):
            queue.clear()
        self.small_bytes = self.main_bytes = 0

    def _evict_small(self) -> E | None:
        while self._small:
            _, entry = self._small.popitem(last=False)
            self.small_bytes -= entry.size
            if entry.freq > 0:
                self._to_main(entry)
                continue
            self._remember_ghost(entry.key)
            return entry
        return None

    def _evict_main(self) -> E:
        # Ends within MAX_FREQ + 1 rounds: each reinsertion lowers a freq.
        while True:
            _, entry = self._main.popitem(last=False)
            if entry.freq > 0:
                entry.freq -= 1
                self._main[entry.key] = entry
                continue
            self.main_bytes -= entry.size
            return entry

    def _to_main(self, entry: E) -> None:
        entry.freq = 0
        entry.in_main = True
        self._main[entry.key] = entry
        self.main_bytes += entry.size

    def _remember_ghost(self, key: Hashable) -> None:
        # As many ghosts as live entries: the paper sizes the ghost queue like the main one.
        ghosts = self._ghost
        ghosts[key] = None
        if len(ghosts) > len(self._small) + len(self._main) + 1:
            ghosts.popitem(last=False)
