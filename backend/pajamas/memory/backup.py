"""Backup and restore of a persona: one zip archive of its memories, its record and a manifest.

The archive holds `memories.parquet` (every memory with its vector, as transfer.py exports
them), `persona.json` (the persona's record) and `manifest.json`: {"format", "version",
"persona", "name", "model", "dimension", "count", "sha256" (of memories.parquet),
"created_at"}.  Restore reads and checks everything before it writes: the manifest, the
checksum, every memory, and the model: a backup made with another model is refused unless
restored with reembed (its texts are then embedded with the loaded model).  It restores into
the persona given, else into a new persona made from the record (whose name must be free).
Memories are imported with on_conflict "replace": the backup's version of a memory wins, and
memories made since the backup stay.

An archive is written to `<path>.part` and renamed when complete, so a core killed meanwhile
leaves a part, never a half archive.  `Parts` knows the parts being written: each backup
removes the parts a killed core left in the home's backups folder (only there: a folder of
the user's may hold other programs' `.zip.part` files, such as a browser's downloads).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa  # type: ignore[import-untyped]

from pajamas.errors import Conflict, InvalidParams
from pajamas.memory.transfer import Progress, Record, check_all, read_all

if TYPE_CHECKING:
    from pajamas.memory.table import MemoryTable

log = logging.getLogger(__name__)
FORMAT: Final = "pajamas.memory-backup"
VERSION: Final = 1
MEMORIES: Final = "memories.parquet"
PERSONA: Final = "persona.json"
MANIFEST: Final = "manifest.json"
PART: Final = ".part"


def part_of(path: Path) -> Path:
    """Where the archive for path is written until it is complete."""
    return path.with_name(path.name + PART)


@dataclass
class Parts:
    """The parts being written by this core's backups; the others are a killed core's."""

    _writing: set[Path] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def writing(self, path: Path) -> Iterator[None]:
        """While the archive for path is written (its part is not swept)."""
        part = part_of(path).resolve()
        with self._lock:
            self._writing.add(part)
        try:
            yield
        finally:
            with self._lock:
                self._writing.discard(part)

    def sweep(self, folder: Path) -> None:
        """Remove the archives' parts in folder that no backup of this core is writing."""
        with self._lock:
            for part in folder.glob(f"*.zip{PART}") if folder.is_dir() else ():
                if part.resolve() not in self._writing:
                    part.unlink(missing_ok=True)
                    log.info("removed %s, the part of a backup a stopped core left", part)


def backup(table: MemoryTable, persona: dict[str, Any], path: Path, *, model: str,
           dimension: int, now: float, progress: Progress) -> dict[str, Any]:
    """Write the persona's archive to path: {"path", "count", "sha256", "bytes"}."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped]  # noqa: PLC0415

    progress(0.0, "reading the memories")
    data = read_all(table, include_vectors=True)
    progress(0.5, f"writing {data.num_rows} memories")
    buffer = io.BytesIO()
    pq.write_table(data, buffer)
    memories = buffer.getvalue()
    manifest = {"format": FORMAT, "version": VERSION, "persona": persona["id"],
                "name": persona["name"], "model": model, "dimension": dimension,
                "count": data.num_rows, "sha256": hashlib.sha256(memories).hexdigest(),
                "created_at": now}
    part = part_of(path)  # renamed once complete: no half archive
    with zipfile.ZipFile(part, "w") as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=1), zipfile.ZIP_DEFLATED)
        archive.writestr(PERSONA, json.dumps(persona, indent=1), zipfile.ZIP_DEFLATED)
        archive.writestr(MEMORIES, memories, zipfile.ZIP_STORED)  # Parquet is compressed
    os.replace(part, path)
    return {"path": str(path), "count": data.num_rows, "sha256": manifest["sha256"],
            "bytes": path.stat().st_size}


@dataclass
class Backup:
    """A checked archive: its manifest, the persona's record and the memories."""

    manifest: dict[str, Any]
    persona: dict[str, Any]
    records: list[Record]


def read_backup(path: Path, *, model: str, dimension: int, reembed: bool,
                now: float) -> Backup:
    """The archive at path, checked (see the module's docstring)."""
    if not path.is_file():
        raise InvalidParams(f"there is no backup {path}", field="path")
    try:
        with zipfile.ZipFile(path) as archive:
            manifest, persona = _json(archive, MANIFEST), _json(archive, PERSONA)
            memories = archive.read(MEMORIES)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise InvalidParams(f"{path.name} is not a memory backup: {exc}", field="path") from exc
    check_manifest(manifest, memories, path.name)
    check_model(manifest, model=model, dimension=dimension, reembed=reembed)
    records = check_all(_rows(memories), path.name, "row", now)
    if (manifest.get("model"), manifest.get("dimension")) != (model, dimension):
        for record in records:  # the manifest speaks for the archive: embed every text again
            record.vector = None
    return Backup(manifest, persona, records)


def _json(archive: zipfile.ZipFile, name: str) -> dict[str, Any]:
    try:
        found = json.loads(archive.read(name))
    except ValueError as exc:
        raise InvalidParams(f"{name} in the backup is not JSON: {exc}", field="path") from exc
    if not isinstance(found, dict):
        raise InvalidParams(f"{name} in the backup is not a JSON object", field="path")
    return found


def check_manifest(manifest: dict[str, Any], memories: bytes, name: str) -> None:
    """`InvalidParams` unless the manifest is ours and the memories match its checksum."""
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise InvalidParams(f"{name} is not a version {VERSION} memory backup (its manifest "
                            f"says {manifest.get('format')!r} {manifest.get('version')!r})",
                            field="path")
    digest = hashlib.sha256(memories).hexdigest()
    if digest != manifest.get("sha256"):
        raise InvalidParams(f"{name} is damaged: {MEMORIES} has checksum {digest}, the "
                            f"manifest says {manifest.get('sha256')}", field="path")


def check_model(manifest: dict[str, Any], *, model: str, dimension: int, reembed: bool) -> None:
    """`Conflict` when the backup's vectors come from another model, unless reembed."""
    if (manifest.get("model"), manifest.get("dimension")) != (model, dimension) and not reembed:
        raise Conflict(f"the backup was embedded with {manifest.get('model')} "
                       f"({manifest.get('dimension')} dimensions), this core uses {model} "
                       f"({dimension}); restore it with reembed=true to embed its texts again",
                       model=manifest.get("model"), expected=model)


def _rows(memories: bytes) -> list[tuple[int, Any]]:
    import pyarrow.parquet as pq  # noqa: PLC0415

    try:
        return list(enumerate(pq.read_table(pa.BufferReader(memories)).to_pylist(), 1))
    except pa.ArrowException as exc:
        raise InvalidParams(f"the backup's {MEMORIES} is not readable: {exc}",
                            field="path") from exc
