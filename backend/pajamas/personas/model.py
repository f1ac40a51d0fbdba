"""A persona as the protocol shows it, and the checks of its fields."""

from __future__ import annotations

import json
from typing import Any, Final, TypedDict

from pajamas.errors import InvalidParams

MAX_NAME: Final = 100
MAX_TEXT: Final = 1_000_000  # a card's description or prompt; far beyond any real one


class Persona(TypedDict):
    """{"id", "name", "description", "system_prompt", "settings", "created_at", "updated_at"}."""

    id: str
    name: str
    description: str
    system_prompt: str
    settings: dict[str, Any]
    created_at: float
    updated_at: float


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
