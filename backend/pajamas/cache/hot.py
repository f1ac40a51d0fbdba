"""The hot tier: values in the core's memory, bounded by bytes, evicted by S3-FIFO.

Reads take no lock: a dict lookup is atomic under the GIL, and an entry's value, expiry and
tags never change once it is in the dict (a new value is a new entry).  Only the approximate
counters ``uses`` and ``freq`` and the tier's hit counters are bumped without a lock; a bump
lost to a race costs a little precision, never a wrong value.  Every write (put, remove,
resize, clear) must be serialized by the caller: the namespace holds its lock for them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, final

from pajamas.cache.policy import MAX_FREQ, SMALL_SHARE, S3Fifo
from pajamas.cache.records import Key, Tags
from pajamas.cache.stats import TierStats
from pajamas.cache.tags import TagEpochs

#: Bytes an entry costs beyond its key's and value's lengths: the Entry object, its slots in
#: the index dict and in a queue, the headers of the key and value objects (tracemalloc,
#: CPython 3.11: 50,000 entries of a 10-character key and 102 value bytes took 402 bytes each,
#: the keys' objects not counted).
ENTRY_OVERHEAD: Final = 350


def entry_size(key: Key, value: bytes) -> int:
    """The bytes an entry for key and value counts against the hot tier's budget."""
    return len(key) + len(value) + ENTRY_OVERHEAD


@final
class Entry:
    """One value in the hot tier."""

    __slots__ = ("expires_at", "freq", "in_lower", "in_main", "key", "size", "tags", "uses",
                 "value")

    def __init__(self, key: Key, value: bytes, expires_at: float | None, tags: Tags,
                 uses: int, *, in_lower: bool = False) -> None:
        self.key = key
        self.value = value
        self.size = entry_size(key, value)
        self.expires_at = expires_at
        self.tags = tags
        self.uses = uses  # sets and reads of this value so far: demotion needs two
        self.in_lower = in_lower  # a lower tier holds this very value (it was promoted)
        self.freq = 0
        self.in_main = False


@final
class HotTier:
    """Entries by key, within `budget` bytes."""

    name: Final = "hot"

    def __init__(self, budget: int, clock: Callable[[], float], epochs: TagEpochs,
                 stats: TierStats) -> None:
        self.budget = budget
        self.stats = stats
        self._clock = clock
        self._epochs = epochs
        self._entries: dict[Key, Entry] = {}
        self._policy: S3Fifo[Entry] = S3Fifo()

    @property
    def nbytes(self) -> int:
        """Bytes of every entry held."""
        return self._policy.nbytes

    def __len__(self) -> int:
        return len(self._entries)

    def admits(self, size: int) -> bool:
        """Whether a value of size bytes may enter: one larger than the small queue would
        push out everything new at once."""
        return size <= self.budget * SMALL_SHARE

    def get(self, key: Key) -> bytes | None:
        """The value for key if held, fresh and not invalidated; counts a hit or a miss."""
        entry = self._entries.get(key)
        # Inlined checks: this is the cache's hottest line, and a call costs as much as a check.
        if entry is None or (
                entry.expires_at is not None and entry.expires_at <= self._clock()) or (
                entry.tags and not self._epochs.holds(entry.tags)):
            self.stats.misses += 1
            return None
        entry.uses += 1
        if entry.freq < MAX_FREQ:
            entry.freq += 1
        self.stats.hits += 1
        return entry.value

    def peek(self, key: Key) -> Entry | None:
        """The entry for key, usable or not, without counting anything."""
        return self._entries.get(key)

    def usable(self, entry: Entry) -> bool:
        """Whether entry is neither expired nor invalidated by a tag."""
        if entry.expires_at is not None and entry.expires_at <= self._clock():
            return False
        return not entry.tags or self._epochs.holds(entry.tags)

    def put(self, entry: Entry) -> list[Entry]:
        """Hold entry (replacing the key's old one); returns the entries evicted to fit."""
        old = self._entries.get(entry.key)
        if old is not None:
            self._policy.remove(old)
        self._entries[entry.key] = entry
        self._policy.insert(entry)
        return self._evict_to(self.budget)

    def remove(self, key: Key) -> Entry | None:
        """Drop key's entry; returns it, or None if there was none."""
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._policy.remove(entry)
        return entry

    def resize(self, budget: int) -> list[Entry]:
        """Change the budget; returns the entries evicted to fit a smaller one."""
        self.budget = budget
        return self._evict_to(budget)

    def shrink_to(self, target: int) -> list[Entry]:
        """Evict down to target bytes now, keeping the budget; returns the evicted entries."""
        return self._evict_to(min(target, self.budget))

    def forget_lower(self, key: Key) -> None:
        """Note that no lower tier holds key's value any more, so its eviction demotes it."""
        entry = self._entries.get(key)
        if entry is not None:
            entry.in_lower = False

    def clear(self) -> int:
        """Drop every entry; returns how many there were."""
        count = len(self._entries)
        self._entries.clear()
        self._policy.clear()
        return count

    def _evict_to(self, target: int) -> list[Entry]:
        victims = []
        while self._policy.nbytes > target:
            victim = self._policy.evict(self.budget)
            del self._entries[victim.key]
            victims.append(victim)
        self.stats.evictions += len(victims)
        return victims
