"""Hostile: allocates memory until it is stopped."""

from __future__ import annotations

CHUNK = 8 * 1024 * 1024


def grow() -> int:
    """Allocate CHUNK at a time, every page written so it counts in RSS, forever."""
    held = []
    while True:
        held.append(b"\xa5" * CHUNK)
    return len(held)
