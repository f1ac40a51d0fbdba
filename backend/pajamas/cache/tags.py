"""Tags and their epochs: how `invalidate_tag` reaches every entry of a tag in every tier at once.

Each tag (e.g. ``persona:<id>``) has an epoch, a random 63-bit number.  A value records the
epochs of its tags when it is made; it is valid while each of its tags still has that epoch.
Invalidating a tag gives it a new epoch, so the tag's values in all tiers turn stale in one
write, without finding them; the tiers drop them when they meet them.

Epochs are random rather than counted so that losing this store (a deleted folder) can never
make an old value valid again: a tag met for the first time gets a fresh epoch no value holds.
The store is written before `invalidate` returns (SQLite, through diskcache), so an
invalidation survives a crash of the core.  On a full disk the new epoch holds in memory (the
values it outdates are never served by this process), and is written by the next
invalidation or snapshot that finds space: what was written would invalidate nothing new,
and failing a memory add that is journaled already would only make its caller add it twice.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import final

import diskcache  # type: ignore[import-untyped]

from pajamas.borders import diskcache_errors
from pajamas.cache.records import Tags
from pajamas.errors import DiskFull, InvalidParams

log = logging.getLogger(__name__)


@final
class TagEpochs:
    """The current epoch of every tag, kept in memory and in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        with diskcache_errors("opening the tag store", folder):
            self._store = diskcache.Cache(str(folder), eviction_policy="none")
            self._epochs: dict[str, int] = {tag: self._store[tag] for tag in self._store}
        self._unsaved: set[str] = set()  # tags whose epoch a full disk kept in memory only
        # Tags renewed by this process that no value has recorded since: no value holds their
        # epoch, so invalidating them again would turn nothing stale (adds in a row: one write).
        self._fresh: set[str] = set()

    def holds(self, tags: Tags) -> bool:
        """Whether every tag still has the epoch recorded with it."""
        epochs = self._epochs
        return all(epochs.get(tag) == epoch for tag, epoch in tags)

    def snapshot(self, tags: Iterable[str]) -> Tags:
        """The current epochs of tags, to record with a value made now."""
        names = sorted(set(tags))
        for tag in names:
            if type(tag) is not str or not tag:
                raise InvalidParams(f"a cache tag is a non-empty str, not {tag!r:.40}",
                                    field="tags")
        if self._unsaved:  # a full disk kept some epochs in memory: store them first
            with self._lock:
                self._save()
        fresh = self._fresh
        fresh.difference_update(names)  # before the epochs are read: an invalidation renews
        stamped = tuple((tag, self._current(tag)) for tag in names)
        fresh.difference_update(names)  # a tag met for the first time was renewed just now
        return stamped

    def invalidate(self, tag: str) -> None:
        """Turn every value recorded with tag stale, in every tier, durably."""
        with self._lock:
            if tag not in self._fresh:  # else no value holds its epoch: nothing to do
                self._renew(tag)

    def close(self) -> None:
        """Store what a full disk kept in memory, if it can now, and close the store."""
        with self._lock:
            self._save()
        self._store.close()

    def _current(self, tag: str) -> int:
        epoch = self._epochs.get(tag)
        if epoch is None:
            with self._lock:
                epoch = self._epochs.get(tag)
                if epoch is None:
                    epoch = self._renew(tag)
        return epoch

    def _renew(self, tag: str) -> int:
        epoch = secrets.randbits(63)
        self._epochs[tag] = epoch
        self._unsaved.add(tag)
        self._fresh.add(tag)
        failed = self._save()
        if failed is not None:
            log.warning("kept %d cache tag epochs in memory only, for want of space: %s",
                        len(self._unsaved), failed.message)
        return epoch

    def _save(self) -> DiskFull | None:
        """Store the epochs not stored yet: before use, so that a crash right after does not
        revive the old epochs' values; a full disk leaves them for the next call (returned)."""
        try:
            for tag in sorted(self._unsaved):
                with diskcache_errors(f"invalidating the tag {tag!r}", self.folder):
                    self._store.set(tag, self._epochs[tag])
                self._unsaved.discard(tag)
        except DiskFull as exc:
            return exc
        return None
