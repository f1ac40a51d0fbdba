"""The warm tier: records in a diskcache (SQLite, plus files for large values), bounded by bytes.

diskcache culls on its own when its ``size_limit`` is reached, silently: the tier could not
demote what it dropped.  So the store runs with ``eviction_policy="none"`` and the tier evicts
itself, oldest first (first in, first out), reading each victim so the namespace can hand it to
the cold tier.  Its byte count is diskcache's own ``size`` total, kept by SQLite triggers in the
same transaction as each write; `_SizedDisk` makes it count values stored inline too.

A damaged database (a power cut, a bad sector) is found as the tier opens: SQLite's
``PRAGMA quick_check`` (or the open itself) fails, and the folder is moved to the home's
quarantine and the tier starts empty (`pajamas.faults`).

Expiry is not diskcache's (it uses the wall clock): records carry their own, which the namespace
checks with the cache's clock.  Every record carries a crc32; one that fails is deleted and
reads as a miss.  Callers serialize writes (the namespace's lock); reads may run concurrently.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, final

import diskcache  # type: ignore[import-untyped]

from pajamas.borders import diskcache_errors
from pajamas.cache.records import CorruptRecord, Record, pack_record, unpack_record
from pajamas.cache.stats import TierStats
from pajamas.errors import DiskFull
from pajamas.faults import sqlite_damage

if TYPE_CHECKING:
    from pajamas.faults import Faults

log = logging.getLogger(__name__)

DATABASE: Final = "cache.db"  # diskcache's SQLite file in the tier's folder
#: The largest value a disk tier takes, as a share of its budget: a bigger one would push out
#: most of the tier at once.
MAX_ITEM_SHARE: Final = 0.25


class _SizedDisk(diskcache.Disk):  # type: ignore[misc]
    """diskcache's Disk, reporting the size of values kept inline in SQLite as well as in files,
    so that diskcache's ``size`` total counts every byte the tier holds."""

    def store(self, value: Any, read: bool, **kwargs: Any) -> tuple[int, int, Any, Any]:
        size, mode, filename, db_value = super().store(value, read, **kwargs)
        return size or len(value), mode, filename, db_value


@final
class WarmTier:
    """Records by encoded key in a diskcache at `folder`, within `budget` bytes."""

    name: Final = "warm"

    def __init__(self, folder: Path, budget: int, stats: TierStats,
                 faults: Faults | None = None) -> None:
        self.folder = folder
        self.budget = budget
        self.stats = stats
        damage = sqlite_damage(folder / DATABASE)
        if damage is not None and faults is not None:  # without faults, the open fails
            moved = faults.quarantine(folder, f"cache-warm-{folder.name}")
            faults.report("cache.warm", folder / DATABASE, damage, action="rebuilt empty",
                          quarantined=moved)
        with diskcache_errors("opening the warm cache", folder):
            self._store = diskcache.Cache(str(folder), disk=_SizedDisk, eviction_policy="none")
        self._nbytes = self._len = 0

    @property
    def nbytes(self) -> int:
        """Bytes of every record held (the last figure read, when SQLite cannot be read: a
        full disk can refuse even reads, which need its shared-memory index)."""
        try:
            with diskcache_errors("reading the size of", self.folder):
                self._nbytes = int(self._store.reset("size"))
        except DiskFull:
            pass
        return self._nbytes

    def __len__(self) -> int:
        try:
            with diskcache_errors("counting", self.folder):
                self._len = len(self._store)
        except DiskFull:  # as nbytes: the last count read
            pass
        return self._len

    def admits(self, size: int) -> bool:
        """Whether a record of size bytes may enter."""
        return size <= self.budget * MAX_ITEM_SHARE

    def get(self, key: bytes) -> Record | None:
        """The record stored for key, or None (a damaged one is deleted)."""
        with diskcache_errors("reading", self.folder):
            data = self._store.get(key)
        return None if data is None else self._parse(key, data)

    def __contains__(self, key: bytes) -> bool:
        with diskcache_errors("looking up", self.folder):
            return key in self._store

    def put(self, record: Record) -> list[Record]:
        """Store record (replacing the key's old one); returns the records evicted to fit."""
        with diskcache_errors("writing", self.folder):
            self._store.set(record.key, pack_record(record))
        return self._evict_to(self.budget)

    def delete(self, key: bytes) -> bool:
        """Delete key's record; whether there was one."""
        with diskcache_errors("deleting from", self.folder):
            return bool(self._store.delete(key))

    def resize(self, budget: int) -> list[Record]:
        """Change the budget; returns the records evicted to fit a smaller one."""
        self.budget = budget
        return self._evict_to(budget)

    def clear(self) -> int:
        """Delete every record; returns how many there were."""
        with diskcache_errors("clearing", self.folder):
            return int(self._store.clear())

    def close(self) -> None:
        """Close this thread's connection to the store."""
        self._store.close()

    def _evict_to(self, target: int) -> list[Record]:
        victims = []
        while self.nbytes > target:
            with diskcache_errors("evicting from", self.folder):
                try:
                    key, data = self._store.peekitem(last=False)
                except KeyError:  # empty: the size total is off, nothing more to drop
                    break
                self._store.delete(key)
            self.stats.evictions += 1
            record = self._parse(key, data, delete=False)
            if record is not None:
                victims.append(record)
        return victims

    def _parse(self, key: bytes, data: bytes, *, delete: bool = True) -> Record | None:
        try:
            record = unpack_record(data)
            if record.key != key:
                raise CorruptRecord("the record belongs to another key")
        except CorruptRecord as exc:
            log.warning("dropped a damaged warm cache record in %s: %s", self.folder, exc)
            self.stats.errors += 1
            if delete:
                self.delete(key)
            return None
        return record

