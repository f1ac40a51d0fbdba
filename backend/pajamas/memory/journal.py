"""`Journal`: acknowledged adds not yet committed to LanceDB, on disk, one file per persona.

Every add is embedded, appended here and acknowledged once fsynced.  While the store is open,
its writer commits the rows next and empties the journal (`pending.py`); before it is open
(importing LanceDB takes about 2 s of CPU, loading the model 0.3 s) the adds wait here, and the
store replays each journal into its persona's table as it opens (`early.py`, `replay.py`).

A journal file is a sequence of records, one per acknowledged add (or add_batch)::

    offset  size  field
    0       4     n: the payload's length (unsigned, little-endian)
    4       4     crc32 of the payload
    8       n     payload: msgpack {"created_at", "model", "dimension", "vectors", "rows"}

`vectors` holds the rows' float32 vectors one after the other (little-endian); each row is
{"id", "text", "metadata" (JSON, as the table keeps it), "importance", "context", "thread",
"at"} (records written before thread and at existed have neither: none, and created_at).  A kill -9
during an append leaves a torn record at the end: `replay` reads every whole record before
it, and the next append cuts the tail off first.  An append that finds the disk full cuts its
part-written record off at once and raises `DiskFull`: that add is not acknowledged, and the
journal stays replayable.  When the store opens, a torn or damaged tail (a power cut, a bad
sector) is cut off before the replay (`cut_tail`), kept in the home's quarantine and reported
as a `store.corrupt` event: no record before the tear is lost, and the torn one was never
acknowledged (an add is acknowledged once its record is fsynced).  Writers serialise their
calls (`early.py`).

The same format holds a persona's since-backup log (`<persona>.since-backup`, pending.py):
every write committed since its last backup, for `memory.repair`.  Besides adds, its records
carry the other writes (`Record.edit`): "updates" {id: {column: value}} (a vector as a list of
floats), "deleted" [id] and "upserts" (whole rows, every column, as an Arrow IPC stream: the
memories imported or restored), with no rows and no vectors.
"""

from __future__ import annotations

import contextlib
import errno
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final, NotRequired, TypedDict, final

import msgpack
import numpy as np
import numpy.typing as npt

from pajamas.borders import disk_full, no_space
from pajamas.errors import Internal
from pajamas.faults import sync_folder
from pajamas.memory.model import NewMemory, encode_metadata

HEADER: Final = struct.Struct("<II")
SUFFIX: Final = ".journal"
LOG_SUFFIX: Final = ".since-backup"  # a persona's committed adds since its last backup
FOLDER: Final = "journal"  # under the memory folder (`<home>/memory/journal/`)


class JournalRow(TypedDict):
    """One memory of a record: what the table needs besides the record's shared fields."""

    id: str
    text: str
    metadata: str
    importance: float
    context: str | None
    thread: NotRequired[str | None]
    at: NotRequired[float | None]


@dataclass(frozen=True)
class Record:
    """One acknowledged add: its rows, made at created_at, embedded by model; in a since-backup
    log, any other write too (`edit`)."""

    created_at: float
    model: str
    rows: list[JournalRow]
    vectors: npt.NDArray[np.float32]  # one row per memory
    updates: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> values set
    deleted: list[str] = field(default_factory=list)
    upserts: bytes = b""  # whole rows as an Arrow IPC stream, put in place of any same id

    def encode(self) -> bytes:
        """The record framed for the file: header, then payload."""
        fields: dict[str, Any] = {
            "created_at": self.created_at, "model": self.model,
            "dimension": int(self.vectors.shape[1]), "rows": self.rows,
            "vectors": self.vectors.astype("<f4").tobytes()}
        for name in ("updates", "deleted", "upserts"):
            if getattr(self, name):
                fields[name] = getattr(self, name)
        payload: bytes = msgpack.packb(fields)
        return HEADER.pack(len(payload), zlib.crc32(payload)) + payload

    @classmethod
    def edit(cls, *, created_at: float, model: str, dimension: int,
             updates: dict[str, dict[str, Any]] | None = None, deleted: list[str] | None = None,
             upserts: bytes = b"") -> Record:
        """A since-backup log's record of writes other than adds."""
        return cls(created_at=created_at, model=model, rows=[],
                   vectors=np.zeros((0, dimension), np.float32), updates=updates or {},
                   deleted=deleted or [], upserts=upserts)

    @classmethod
    def new(cls, items: list[NewMemory], ids: list[str], vectors: npt.NDArray[np.float32], *,
            created_at: float, model: str) -> Record:
        """The record of one add: checked new memories, their ids and their vectors."""
        return cls(created_at=created_at, model=model, rows=_rows_of(items, ids),
                   vectors=vectors)

    @classmethod
    def decode(cls, payload: bytes) -> Record:
        """The record a whole payload holds (the inverse of encode, less the header)."""
        fields = msgpack.unpackb(payload)
        vectors = np.frombuffer(fields["vectors"], dtype="<f4").astype(np.float32)
        return cls(created_at=float(fields["created_at"]), model=str(fields["model"]),
                   rows=fields["rows"],
                   vectors=vectors.reshape(len(fields["rows"]), int(fields["dimension"])),
                   updates=fields.get("updates", {}), deleted=fields.get("deleted", []),
                   upserts=fields.get("upserts", b""))


@final
class Journal:
    """One persona's journal file (absent while it has no unreplayed add)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    def append(self, record: Record) -> None:
        """Add record to the file; returns once it is on disk (written and fsynced).

        `DiskFull` when there is no space for it: the record is not in the journal then (what
        part of it was written is cut off), so its add is not acknowledged.
        """
        with _no_space("journaling a memory", self.path):
            file = self._file or self._open()
            end = os.fstat(file.fileno()).st_size
            try:
                _write_all(file, record.encode())
                os.fsync(file.fileno())
            except OSError:
                self._cut(file, end)
                raise

    def append_all(self, records: list[Record]) -> None:
        """Add records to the file, then fsync once (`DiskFull` as `append`, none kept)."""
        if not records:
            return
        with _no_space("logging memories since the last backup", self.path):
            file = self._file or self._open()
            end = os.fstat(file.fileno()).st_size
            try:
                _write_all(file, b"".join(record.encode() for record in records))
                os.fsync(file.fileno())
            except OSError:
                self._cut(file, end)
                raise

    def replay(self) -> list[Record]:
        """Every whole record, oldest first; a torn or corrupt tail is left out."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        payloads, _ = whole_records(data)
        return self._decode(payloads)

    def cut_tail(self) -> bytes:
        """Cut off the bytes after the last whole record (a torn or damaged tail): them.

        Every record before the tear is kept; the file is fsynced at its new end.
        """
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return b""
        _, end = whole_records(data)
        if end == len(data):
            return b""
        self.close()
        with open(self.path, "r+b") as file:
            file.truncate(end)
            os.fsync(file.fileno())
        return data[end:]

    def keep_since(self, moment: float) -> int:
        """Drop the records made before moment (a backup holds them): how many are left."""
        try:
            payloads, _ = whole_records(self.path.read_bytes())
        except FileNotFoundError:
            return 0
        records = self._decode(payloads)
        kept = [p for p, r in zip(payloads, records, strict=True) if r.created_at >= moment]
        if len(kept) == len(payloads):
            return len(kept)
        partial = self.path.with_name(self.path.name + ".partial")
        with open(partial, "wb") as file:
            file.write(b"".join(HEADER.pack(len(p), zlib.crc32(p)) + p for p in kept))
            file.flush()
            os.fsync(file.fileno())
        self.close()
        os.replace(partial, self.path)
        sync_folder(self.path.parent)
        return len(kept)

    def _decode(self, payloads: list[bytes]) -> list[Record]:
        try:
            return [Record.decode(payload) for payload in payloads]
        except (ValueError, KeyError, TypeError, msgpack.UnpackException) as exc:
            raise Internal(f"the memory journal {self.path} holds a record that passes its "
                           f"checksum but does not decode ({exc}); it is kept as it is") from exc

    def truncate(self) -> None:
        """Empty the file (every record in it is in the table now)."""
        file = self._file or self._open()
        file.truncate(0)
        os.fsync(file.fileno())

    def drop_first(self, count: int) -> None:
        """Remove the oldest count records (they are in the table now), keeping the rest;
        `DiskFull` (the journal unchanged) when the rest finds no space."""
        payloads, _ = whole_records(self.path.read_bytes())
        partial = self.path.with_name(self.path.name + ".partial")
        with _no_space("rewriting a memory journal", self.path):
            try:
                with open(partial, "wb") as file:
                    file.write(b"".join(HEADER.pack(len(p), zlib.crc32(p)) + p
                                        for p in payloads[count:]))
                    file.flush()
                    os.fsync(file.fileno())
            except OSError:
                partial.unlink(missing_ok=True)
                raise
            self.close()
            os.replace(partial, self.path)
            sync_folder(self.path.parent)

    def is_empty(self) -> bool:
        """Whether the file holds no record (or does not exist)."""
        try:
            return self.path.stat().st_size == 0
        except FileNotFoundError:
            return True

    def remove(self) -> None:
        """Delete the file (its records are in the table now, or its persona is gone)."""
        self.close()
        if self.path.exists():
            self.path.unlink()
            sync_folder(self.path.parent)

    def close(self) -> None:
        """Close the file (the next append opens it again)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def _cut(self, file: IO[bytes], end: int) -> None:
        """After a failed append: cut the file back to end (which frees space, so works on a
        full disk) and close it; were the cut to fail too, the next `_open` cuts the torn
        record off, as after a crash."""
        self._file = None
        with contextlib.suppress(OSError):
            os.ftruncate(file.fileno(), end)
        file.close()  # unbuffered: nothing left to write

    def _open(self) -> IO[bytes]:
        """The file, opened to append, with any torn tail (a crash mid-append) cut off."""
        make_folder(self.path.parent)
        existed = self.path.exists()
        # Unbuffered: a failed append knows what reached the file, and closing never retries.
        file = open(self.path, "a+b", buffering=0)  # noqa: SIM115  (kept open across appends)
        if existed:
            file.seek(0)
            _, end = whole_records(file.read())
            file.truncate(end)
        else:
            sync_folder(self.path.parent)  # the file's name is on disk before its records
        self._file = file
        return file


@final
class Journals:
    """The journal folder: one `Journal` per persona (callers serialise their calls)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._open: dict[str, Journal] = {}

    def of(self, persona: str) -> Journal:
        """persona's journal (its file is made by the first append)."""
        journal = self._open.get(persona)
        if journal is None:
            journal = self._open[persona] = Journal(self.folder / f"{persona}{SUFFIX}")
        return journal

    def personas(self) -> list[str]:
        """The personas whose journal file exists."""
        if not self.folder.is_dir():
            return []
        return sorted(path.name.removesuffix(SUFFIX) for path in self.folder.iterdir()
                      if path.name.endswith(SUFFIX))

    def remove(self, persona: str) -> None:
        """Delete persona's journal."""
        self.of(persona).remove()
        del self._open[persona]

    def close(self) -> None:
        """Close every open file."""
        for journal in self._open.values():
            journal.close()


class _no_space:  # noqa: N801  (a border, like those of pajamas.borders)
    """Turn a journal write that found no space into `DiskFull`; other failures go on."""

    __slots__ = ("doing", "path")

    def __init__(self, doing: str, path: Path) -> None:
        self.doing, self.path = doing, path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if isinstance(exc, OSError) and no_space(exc, self.path):
            raise disk_full(self.doing, self.path.parent) from exc


def whole_records(data: bytes) -> tuple[list[bytes], int]:
    """The payloads of the whole records at data's start, and the offset where they end."""
    payloads, at = [], 0
    while at + HEADER.size <= len(data):
        length, crc = HEADER.unpack_from(data, at)
        end = at + HEADER.size + length
        payload = data[at + HEADER.size:end]
        # A payload is never empty: zeros (a file extended but not written) end it too.
        if not length or end > len(data) or zlib.crc32(payload) != crc:
            break
        payloads.append(payload)
        at = end
    return payloads, at


def _write_all(file: IO[bytes], data: bytes) -> None:
    """Write all of data to an unbuffered file (a raw write may take only part of it)."""
    view = memoryview(data)
    while view:
        written = file.write(view)
        if not written:  # no progress without an error: take it for a full disk
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def make_folder(folder: Path) -> None:
    """Make folder and its missing parents, each one's name synced to disk."""
    if folder.is_dir():
        return
    make_folder(folder.parent)
    folder.mkdir(exist_ok=True)
    sync_folder(folder.parent)


def _rows_of(items: list[NewMemory], ids: list[str]) -> list[JournalRow]:
    """The journal rows of checked new memories with their ids."""
    return [JournalRow(id=memory_id, text=item["text"],
                       metadata=encode_metadata(item["metadata"]),
                       importance=float(item["importance"]), context=item.get("context"),
                       thread=item.get("thread"), at=item.get("at"))
            for memory_id, item in zip(ids, items, strict=True)]
