"""The cold tier: one zstd-compressed file per record, bounded by the bytes on disk.

A record for key K lives at ``<folder>/<h[:2]>/<h>`` where h is the BLAKE2b-128 of K: the
magic ``PJZ1`` then one zstd frame that carries its content size and an xxh64 checksum of the
content, which holds the record (with its key, checked on read).  A file is written under a
temporary name and renamed into place, so a killed writer leaves at worst a temporary file
(deleted at the next open), never a torn record under a real name; a file damaged any other
way fails the checksum or a length check, is deleted (a cache file holds nothing that is not
elsewhere), reads as a miss and is reported (`pajamas.faults`: a `store.corrupt` event).

The index of files and their sizes lives in memory, rebuilt from the folder at open (oldest
first by mtime), so a lookup of an absent key costs no system call.  Eviction is first in,
first out.  The last tier drops its victims without reading them.  Callers serialize calls
(the namespace's lock): the zstd contexts are not thread-safe.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Final, final

import zstandard

from pajamas.cache.records import CorruptRecord, Record, pack_record, unpack_record
from pajamas.cache.stats import TierStats
from pajamas.cache.warm import MAX_ITEM_SHARE
from pajamas.errors import Internal

if TYPE_CHECKING:
    from pajamas.faults import Faults

log = logging.getLogger(__name__)

MAGIC: Final = b"PJZ1"
LEVEL: Final = 3  # zstd's default: ~10x on repetitive data at hundreds of MB/s
_TMP_SUFFIX: Final = ".tmp"


@final
class ColdTier:
    """Compressed records by encoded key in files under `folder`, within `budget` bytes."""

    name: Final = "cold"

    def __init__(self, folder: Path, budget: int, stats: TierStats,
                 faults: Faults | None = None) -> None:
        self.folder = folder
        self.budget = budget
        self.stats = stats
        self._faults = faults
        self._compressor = zstandard.ZstdCompressor(level=LEVEL, write_checksum=True)
        self._decompressor = zstandard.ZstdDecompressor()
        try:
            self._index = self._scan()
        except OSError as exc:
            raise Internal(f"cannot open the cold cache at {folder}: {exc}") from exc
        self.nbytes = sum(self._index.values())

    def __len__(self) -> int:
        return len(self._index)

    def admits(self, size: int) -> bool:
        """Whether a record of size bytes (before compression) may enter."""
        return size <= self.budget * MAX_ITEM_SHARE

    def get(self, key: bytes) -> Record | None:
        """The record stored for key, or None (a damaged file is deleted)."""
        name = _name(key)
        if name not in self._index:
            return None
        try:
            data = self._path(name).read_bytes()
        except FileNotFoundError:  # removed behind our back: forget it
            self.nbytes -= self._index.pop(name)
            return None
        except OSError as exc:
            raise Internal(f"cannot read the cold cache file {self._path(name)}: "
                           f"{exc.strerror}") from exc
        return self._parse(key, name, data)

    def __contains__(self, key: bytes) -> bool:
        return _name(key) in self._index

    def put(self, record: Record) -> list[Record]:
        """Write record (replacing the key's old one); evicts the oldest files to fit and
        returns no victims: nothing lies below this tier."""
        name = _name(record.key)
        data = MAGIC + self._compressor.compress(pack_record(record, checksum=False))
        self._write(self._path(name), data)
        self.nbytes -= self._index.pop(name, 0)
        self._index[name] = len(data)
        self.nbytes += len(data)
        self._evict_to(self.budget)
        return []

    def delete(self, key: bytes) -> bool:
        """Delete key's file; whether there was one."""
        name = _name(key)
        if name not in self._index:
            return False
        self._drop(name)
        return True

    def resize(self, budget: int) -> list[Record]:
        """Change the budget and evict to fit it; no victims are returned."""
        self.budget = budget
        self._evict_to(budget)
        return []

    def clear(self) -> int:
        """Delete every file; returns how many records there were."""
        count = len(self._index)
        shutil.rmtree(self.folder, ignore_errors=True)
        self._index.clear()
        self.nbytes = 0
        self.folder.mkdir(parents=True, exist_ok=True)
        return count

    def close(self) -> None:
        """Nothing to close: files are opened per call."""

    def _parse(self, key: bytes, name: str, data: bytes) -> Record | None:
        try:
            record = self._decode(data)
            if record.key != key:
                raise CorruptRecord("the file holds another key")
        except CorruptRecord as exc:
            log.warning("dropped a damaged cold cache file %s: %s", self._path(name), exc)
            self.stats.errors += 1
            self._drop(name)
            if self._faults is not None:
                self._faults.report("cache.cold", self._path(name), str(exc),
                                    action="removed: it reads as a miss")
            return None
        return record

    def _decode(self, data: bytes) -> Record:
        if data[:len(MAGIC)] != MAGIC:
            raise CorruptRecord("the file does not start with the cold cache's magic")
        frame = memoryview(data)[len(MAGIC):]
        try:
            # A damaged header could claim any size: refuse one no admitted record can have.
            size = zstandard.frame_content_size(frame)
            if not 0 <= size <= max(self.budget, 1):
                raise CorruptRecord(f"the frame claims {size} bytes")
            return unpack_record(self._decompressor.decompress(frame), checksum=False)
        except zstandard.ZstdError as exc:
            raise CorruptRecord(f"zstd: {exc}") from None

    def _write(self, path: Path, data: bytes) -> None:
        temporary = path.with_name(f".{path.name}.{os.getpid()}{_TMP_SUFFIX}")
        try:
            path.parent.mkdir(exist_ok=True)
            with open(temporary, "wb") as out:
                out.write(data)
            os.replace(temporary, path)  # atomic: readers see the old file or the whole new one
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise Internal(f"cannot write the cold cache file {path}: {exc.strerror}") from exc

    def _evict_to(self, target: int) -> None:
        while self.nbytes > target and self._index:
            self._drop(next(iter(self._index)))
            self.stats.evictions += 1

    def _drop(self, name: str) -> None:
        path = self._path(name)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:  # kept in the index: a file left behind must not come back
            raise Internal(f"cannot delete the cold cache file {path}: {exc.strerror}") from exc
        self.nbytes -= self._index.pop(name)

    def _path(self, name: str) -> Path:
        return self.folder / name[:2] / name

    def _scan(self) -> OrderedDict[str, int]:
        """The files under the folder, oldest first; leftovers of killed writes are deleted."""
        self.folder.mkdir(parents=True, exist_ok=True)
        found = []
        for sub in self.folder.iterdir():
            for item in os.scandir(sub) if sub.is_dir() else ():
                if item.name.endswith(_TMP_SUFFIX):
                    Path(item.path).unlink(missing_ok=True)
                elif item.is_file():
                    info = item.stat()
                    found.append((info.st_mtime_ns, item.name, info.st_size))
        found.sort()
        return OrderedDict((name, size) for _, name, size in found)


def _name(key: bytes) -> str:
    return hashlib.blake2b(key, digest_size=16).hexdigest()
