"""Hostile: floods its standard output and error, or returns a result over its output quota."""

from __future__ import annotations

import os
import sys

LINE = "flood " * 170 + "\n"  # about 1 KB


def flood() -> None:
    """print() forever."""
    while True:
        print(LINE, end="")
        sys.stdout.flush()


def flood_fd() -> None:
    """Write to file descriptors 1 and 2 themselves, below Python's buffers, forever."""
    data = LINE.encode()
    while True:
        os.write(1, data)
        os.write(2, data)


def big_result(kb: int = 4096) -> str:
    """A text of kb KB."""
    return "x" * (kb * 1024)
