"""Hostile: spins the CPU until it is stopped, in Python and inside one long C call."""

from __future__ import annotations

import itertools


def spin() -> int:
    """A pure-Python loop that never ends."""
    n = 0
    while True:
        n += 1
    return n


def spin_c() -> int:
    """One C-level loop (sum over a C iterator) that runs for hours without checking signals."""
    return sum(itertools.repeat(1, 10**15))
