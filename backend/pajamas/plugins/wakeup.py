"""Wake-up pipes: a byte written to one wakes a `select`; the reader empties it afterwards."""

from __future__ import annotations

import os


def drain(fd: int) -> None:
    """Read a non-blocking pipe until it is empty (or closed)."""
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        return
