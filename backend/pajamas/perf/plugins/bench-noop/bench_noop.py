"""Benchmark plugin: a function that does nothing (what a call costs beyond its work)."""

from __future__ import annotations


def noop() -> None:
    """Nothing."""
