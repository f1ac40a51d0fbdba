"""Hostile: fills its scratch folder (its working folder), in one file or in many."""

from __future__ import annotations

from pathlib import Path

MB = b"\x00" * (1024 * 1024)


def huge() -> int:
    """Append 1 MB at a time to one file, forever."""
    written = 0
    with Path("huge.bin").open("wb") as file:
        while True:
            file.write(MB)
            file.flush()
            written += 1
    return written


def many() -> int:
    """Write 1 MB files, each under any per-file size limit, forever."""
    n = 0
    while True:
        Path(f"part-{n:05d}.bin").write_bytes(MB)
        n += 1
    return n
