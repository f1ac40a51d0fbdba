"""Benchmark plugin: a call that says when it started and then takes a while.

The chaos benchmarks kill its host the moment the "working" line arrives, so the kill lands
in the middle of a call.
"""

from __future__ import annotations

import time
from typing import Any


def work(hub: Any, tag: str = "", seconds: float = 0.0) -> str:
    """Log "working <tag>", wait seconds, return tag."""
    hub.log(f"working {tag}")
    if seconds:
        time.sleep(seconds)
    return tag
