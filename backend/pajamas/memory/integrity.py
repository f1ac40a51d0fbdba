"""Checksums of a persona's LanceDB data files, so that a damaged one is found as it opens.

LanceDB checks no checksum: bytes overwritten inside a data file (a bad sector, a torn write
at a power cut) read back as other vectors or texts without an error; only a file cut short
fails.  A data file never changes once written (a write adds files; compaction writes new
ones and removes the old later), so after every commit the store records the crc32 of each
new file in `<table folder>/_pajamas_sums.json` (`record`), and `verify` reads them back when
the table opens: a file whose crc32 changed is damage.  A file written by a commit whose sums
were not recorded yet (a crash in between) is taken as it is and recorded at the next commit.
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import Final

SUMS: Final = "_pajamas_sums.json"
DATA: Final = "data"
_CHUNK: Final = 1 << 20


def verify(table_folder: Path) -> str | None:
    """What is damaged in the table's data files (a reason naming the file), or None."""
    sums = _load(table_folder)
    for name, expected in sums.items():
        path = table_folder / DATA / name
        try:
            found = crc32(path)
        except FileNotFoundError:  # removed by a compaction's clean-up: no longer read
            continue
        if found != expected:
            size = path.stat().st_size
            return (f"its data file {path} changed on disk after it was written (crc32 "
                    f"{found:08x}, recorded {expected:08x}, {size} bytes)")
    return None


def record(table_folder: Path) -> None:
    """Record the crc32 of every data file written since the last call; forget removed ones."""
    folder = table_folder / DATA
    if not folder.is_dir():
        return
    sums = _load(table_folder)
    present = {entry.name for entry in os.scandir(folder) if entry.is_file()}
    new = {name: crc32(folder / name) for name in present - sums.keys()}
    kept = {name: value for name, value in sums.items() if name in present}
    if not new and len(kept) == len(sums):
        return
    partial = table_folder / (SUMS + ".partial")
    partial.write_text(json.dumps(kept | new), encoding="utf-8")
    os.replace(partial, table_folder / SUMS)


def crc32(path: Path) -> int:
    """The crc32 of a file's bytes."""
    value = 0
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            value = zlib.crc32(chunk, value)
    return value


def _load(table_folder: Path) -> dict[str, int]:
    try:
        found = json.loads((table_folder / SUMS).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):  # none yet, or cut short: recorded afresh
        return {}
    return {str(k): int(v) for k, v in found.items()} if isinstance(found, dict) else {}
