"""Cold starts: dropping the OS's page cache before a start, where the OS allows it.

Linux lets root drop it (`sync`, then 3 into /proc/sys/vm/drop_caches); elsewhere, or as
another user, starts are measured warm, and the benchmark says which in its extra figures
("page_cache": "cold" or "warm"), since the two do not compare.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Final

DROP_CACHES: Final = Path("/proc/sys/vm/drop_caches")


def can_drop() -> bool:
    """Whether this process may drop the page cache (Linux, as root)."""
    return (sys.platform.startswith("linux") and hasattr(os, "geteuid") and os.geteuid() == 0
            and os.access(DROP_CACHES, os.W_OK))


def drop() -> bool:
    """Drop the page cache, dentries and inodes; False where it cannot (nothing is done)."""
    if not can_drop():
        return False
    os.sync()  # dirty pages are not dropped: write them first
    try:
        DROP_CACHES.write_text("3\n", encoding="ascii")
    except OSError:
        return False
    return True


def label(cold: bool) -> dict[str, float | str]:
    """The extra figure that says how the starts were measured."""
    return {"page_cache": "cold" if cold else "warm"}
