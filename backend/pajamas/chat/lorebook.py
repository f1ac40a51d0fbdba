"""The lorebook (a card's `character_book`): which entries a prompt gets, and in what order.

An entry is triggered when one of its `keys` appears in the last `scan_depth` messages (case
matters only with `case_sensitive`; a `selective` entry also needs one of its
`secondary_keys`), or always when `constant`.  Triggered entries are kept by `priority` (higher
first, then lower `insertion_order`) while they fit in the book's `token_budget`, and placed by
`insertion_order`, lowest first.  `position` is "before_char" (before the description) or
"after_char" (after the scenario, the default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from pajamas.chat.tokens import Count

DEFAULT_SCAN_DEPTH: Final = 4
DEFAULT_TOKEN_BUDGET: Final = 512


@dataclass(frozen=True)
class Entry:
    """One lorebook entry, as the prompt uses it."""

    content: str
    keys: tuple[str, ...]
    secondary_keys: tuple[str, ...]
    constant: bool
    selective: bool
    case_sensitive: bool
    insertion_order: int
    priority: int
    position: str


@dataclass(frozen=True)
class Book:
    """The entries, how many messages to scan and how many tokens the book may use."""

    entries: tuple[Entry, ...]
    scan_depth: int
    token_budget: int


def read_book(book: Any) -> Book:
    """The usable part of a card's character_book (anything else is ignored, not an error)."""
    if not isinstance(book, dict):
        return Book((), DEFAULT_SCAN_DEPTH, 0)
    entries = tuple(_entry(e) for e in book.get("entries") or () if isinstance(e, dict)
                    and e.get("enabled", True) and isinstance(e.get("content"), str))
    return Book(entries, _int(book.get("scan_depth"), DEFAULT_SCAN_DEPTH),
                _int(book.get("token_budget"), DEFAULT_TOKEN_BUDGET))


def select(book: Book, recent: list[str], budget: int, count: Count) -> list[Entry]:
    """The entries triggered by the recent messages' texts that fit, in insertion order."""
    scanned = "\n".join(recent[-book.scan_depth:] if book.scan_depth > 0 else [])
    triggered = [e for e in book.entries if e.constant or _matches(e, scanned)]
    triggered.sort(key=lambda e: (-e.priority, e.insertion_order))
    kept, used = [], 0
    for entry in triggered:
        cost = count(entry.content) + 1
        if used + cost <= min(budget, book.token_budget):
            kept.append(entry)
            used += cost
    return sorted(kept, key=lambda e: e.insertion_order)


def _matches(entry: Entry, text: str) -> bool:
    def found(keys: tuple[str, ...]) -> bool:
        if entry.case_sensitive:
            return any(k and k in text for k in keys)
        lowered = text.lower()
        return any(k and k.lower() in lowered for k in keys)

    if not found(entry.keys):
        return False
    return not (entry.selective and entry.secondary_keys) or found(entry.secondary_keys)


def _entry(raw: dict[str, Any]) -> Entry:
    position = raw.get("position") or raw.get("extensions", {}).get("position") or "after_char"
    return Entry(content=raw["content"], keys=_strings(raw.get("keys")),
                 secondary_keys=_strings(raw.get("secondary_keys")),
                 constant=bool(raw.get("constant")), selective=bool(raw.get("selective")),
                 case_sensitive=bool(raw.get("case_sensitive")),
                 insertion_order=_int(raw.get("insertion_order"), 100),
                 priority=_int(raw.get("priority"), 0),
                 position="before_char" if position in ("before_char", 0) else "after_char")


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _int(value: Any, default: int) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else default
