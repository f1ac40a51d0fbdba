"""memory-journal: dated notes kept in the persona's own memory, through the host API.

A note is a memory whose text starts with its day ("Journal 2026-11-22: ...") and whose
metadata is {"kind": "journal", "day": "2026-11-22"}: the day in the text lets the memory's
word search find a day's notes, the metadata tells them apart from other memories.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

KIND = "journal"
MAX_TEXT = 10_000
MAX_NOTES = 100  # the most notes `day` returns (and hub.memory.search gives)
MAX_RESULTS = 100
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_PREFIX = re.compile(r"Journal \d{4}-\d{2}-\d{2}: ")


def save(hub: Any, text: str, day: str | None = None, importance: float = 0.5) -> dict[str, Any]:
    """Save a note for day (today, in the host's local time, when None): {"id", "day", "text"}."""
    text = _text(text)
    when = _day(day) if day is not None else datetime.date.today().isoformat()
    memory_id = hub.memory.add(f"Journal {when}: {text}", {"kind": KIND, "day": when},
                               importance)
    hub.log("saved a journal note for", when)
    return {"id": memory_id, "day": when, "text": text}


def day(hub: Any, day: str) -> dict[str, Any]:
    """The notes of a day, oldest first: {"day", "notes": [{"id", "text", "created_at"}]}."""
    when = _day(day)
    found = hub.memory.search(f"Journal {when}", limit=MAX_NOTES)
    notes = [_note(m) for m in found if _is_journal(m) and m["metadata"].get("day") == when]
    notes.sort(key=lambda note: (note["created_at"], note["id"]))
    return {"day": when, "notes": notes}


def search(hub: Any, query: str, limit: int = 10) -> dict[str, Any]:
    """Journal notes best matching query: {"notes": [{"id", "day", "text", "score"}]}."""
    if not isinstance(query, str) or not query.strip():
        raise ValueError("query must be a non-empty text")
    if not isinstance(limit, int) or not 1 <= limit <= MAX_RESULTS:
        raise ValueError(f"limit must be a whole number from 1 to {MAX_RESULTS}, not {limit!r}")
    found = hub.memory.search(query, limit=min(MAX_NOTES, limit * 5))
    notes = [{**_note(m), "day": m["metadata"]["day"], "score": m.get("score")}
             for m in found if _is_journal(m)]
    return {"notes": notes[:limit]}


def _text(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text must be a non-empty text")
    if len(text) > MAX_TEXT:
        raise ValueError(f"text is {len(text)} characters long; a note holds at most {MAX_TEXT}")
    return text.strip()


def _day(day: object) -> str:
    """day checked as an ISO date, YYYY-MM-DD."""
    if not isinstance(day, str) or not _DAY.fullmatch(day):
        raise ValueError(f"day must be a date written YYYY-MM-DD, not {day!r}")
    try:
        return datetime.date.fromisoformat(day).isoformat()
    except ValueError as exc:
        raise ValueError(f"day {day!r} is not a date in the calendar ({exc})") from exc


def _is_journal(memory: dict[str, Any]) -> bool:
    metadata = memory.get("metadata") or {}
    return isinstance(metadata, dict) and metadata.get("kind") == KIND and "day" in metadata


def _note(memory: dict[str, Any]) -> dict[str, Any]:
    return {"id": memory["id"], "text": _PREFIX.sub("", memory["text"], count=1),
            "created_at": memory.get("created_at")}
