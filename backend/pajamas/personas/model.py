"""A persona as the protocol shows it, and the checks of its fields."""

from __future__ import annotations

import json
import re
from typing import Any, Final, TypedDict

from pajamas.errors import InvalidParams

MAX_NAME: Final = 100
MAX_TEXT: Final = 1_000_000  # a card's description or prompt; far beyond any real one


MAX_TAGS: Final = 100
MAX_TAG: Final = 60
SUMMARY_CHARS: Final = 140  # a list row's one-line description


class Persona(TypedDict):
    """A persona as persona.get returns it: its fields and the library's (PersonaItem's)."""

    id: str
    name: str
    description: str
    system_prompt: str
    settings: dict[str, Any]
    created_at: float
    updated_at: float
    tags: list[str]
    favourite: bool
    memory_count: int | None
    last_used_at: float | None
    thumbnail: str | None


class PersonaItem(TypedDict):
    """A row of persona.list: light fields only, never the card (a page holds 200 of them)."""

    id: str
    name: str
    summary: str
    tags: list[str]
    favourite: bool
    memory_count: int | None
    last_used_at: float | None
    created_at: float
    updated_at: float
    thumbnail: str | None


def check_tags(tags: Any) -> list[str]:
    """The tags, trimmed, without duplicates (any case) or empties; `InvalidParams` if not text."""
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise InvalidParams("tags must be a list of text", field="tags")
    kept: dict[str, str] = {}
    for tag in (tag.strip() for tag in tags):
        if len(tag) > MAX_TAG:
            raise InvalidParams(f"a tag has at most {MAX_TAG} characters: {tag!r:.70}",
                                field="tags")
        if tag:
            kept.setdefault(tag.casefold(), tag)
    if len(kept) > MAX_TAGS:
        raise InvalidParams(f"a persona has at most {MAX_TAGS} tags, not {len(kept)}",
                            field="tags")
    return list(kept.values())


def summary(description: str, name: str = "") -> str:
    """The first line of a description with text, cut to a list row's length; the card
    macros {{char}} and {{user}} read as the persona's name and "User", as a chat shows them."""
    line = next((line.strip() for line in description.splitlines() if line.strip()), "")
    if name:
        line = re.sub(r"\{\{char\}\}", lambda _: name, line, flags=re.IGNORECASE)
    line = re.sub(r"\{\{user\}\}", "User", line, flags=re.IGNORECASE)
    return line if len(line) <= SUMMARY_CHARS else line[:SUMMARY_CHARS - 1].rstrip() + "…"


def check_name(name: str) -> str:
    """The name, trimmed; `InvalidParams` when empty or too long."""
    trimmed = name.strip()
    if not trimmed or len(trimmed) > MAX_NAME:
        raise InvalidParams(f"a persona's name has 1 to {MAX_NAME} characters, not "
                            f"{len(trimmed)}: {name!r:.60}", field="name")
    return trimmed


def check_text(field: str, text: str) -> str:
    """text, if it is not over the size limit."""
    if len(text) > MAX_TEXT:
        raise InvalidParams(f"{field} has {len(text)} characters, over {MAX_TEXT}", field=field)
    return text


def encode_map(field: str, value: dict[str, Any]) -> str:
    """value as JSON for the database; `InvalidParams` when JSON cannot hold it."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidParams(f"{field} must hold only maps, lists, text, numbers, booleans "
                            f"and null: {exc}", field=field) from exc


def check_page(offset: int, limit: int, *, most: int = 1000) -> None:
    """A page of a list: offset ≥ 0 and 1 ≤ limit ≤ most."""
    if offset < 0:
        raise InvalidParams(f"offset must be 0 or more, not {offset}", field="offset")
    if not 1 <= limit <= most:
        raise InvalidParams(f"limit must be 1 to {most}, not {limit}", field="limit")
