"""Hostile: sleeps past its wall time, after asking to ignore SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import time


def sleep(seconds: float = 60.0) -> float:
    """Sleep for seconds, ignoring a polite SIGTERM where the host lets it."""
    with contextlib.suppress(ValueError, OSError):  # not the main thread: keep sleeping
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(seconds)
    return seconds
