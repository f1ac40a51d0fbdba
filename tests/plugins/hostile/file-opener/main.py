"""Hostile: opens files until it is stopped (each one kept open)."""

from __future__ import annotations

import os


def open_many(count: int = 10_000) -> int:
    """Create and keep open count files in the scratch folder."""
    held = [os.open(f"f{n:05d}", os.O_CREAT | os.O_WRONLY, 0o600) for n in range(count)]
    return len(held)
