"""The date a memory happened, as its vector and its full-text index see it (enrich.py).

No pyarrow here: the first add before the store opens (early.py) imports this.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def day(at: float) -> str:
    """The date of at as full-text search indexes it: "8 May 2023" (UTC)."""
    moment = EPOCH + timedelta(seconds=at)  # fromtimestamp refuses times before 1970 on Windows
    return f"{moment.day} {moment:%B %Y}"


def dated(text: str, at: float) -> str:
    """What a memory's vector embeds: its text behind the date it happened, "[8 May 2023] …"."""
    return f"[{day(at)}] {text}"
