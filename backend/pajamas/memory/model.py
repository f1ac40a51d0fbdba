"""A memory as the protocol shows it, the checks of its fields, and search filters."""

from __future__ import annotations

import json
import math
from typing import Any, Final, NotRequired, TypedDict

from pajamas.errors import InvalidParams

MAX_TEXT: Final = 100_000
MAX_THREAD: Final = 256


class Memory(TypedDict):
    """{"id", "persona", "text", "metadata", "importance", "thread", "at", "created_at",
    "updated_at", "accessed_at"}.

    `thread` is the conversation, session or document the memory belongs to (None: none);
    `at` is when it happened (default: when it was added), which since/until bound.

    `accessed_at` is set by add and update only: a search that wrote to the table would make a
    fragment per query (see the issue's compaction figures).
    """

    id: str
    persona: str
    text: str
    metadata: dict[str, Any]
    importance: float
    thread: str | None
    at: float
    created_at: float
    updated_at: float
    accessed_at: float


class NewMemory(TypedDict):
    """What an add gives: the text, its metadata and importance, checked, its context
    (what came before it: full-text indexed with the memory, never shown; see enrich.py),
    its thread and when it happened (None: now)."""

    text: str
    metadata: dict[str, Any]
    importance: float
    context: NotRequired[str | None]
    thread: NotRequired[str | None]
    at: NotRequired[float | None]


def check_new(text: Any, metadata: Any, importance: Any, *, where: str = "",
              context: Any = None, thread: Any = None, at: Any = None) -> NewMemory:
    """The checked fields of a memory to add; `InvalidParams` names the bad one."""
    return NewMemory(text=check_text(text, where), metadata=check_metadata(metadata, where),
                     importance=check_importance(importance, where),
                     context=check_context(context, where), thread=check_thread(thread, where),
                     at=check_at(at, where))


def at_or(item: NewMemory, now: float) -> float:
    """When item happened: its `at`, else now (when it is added)."""
    at = item.get("at")
    return now if at is None else at


def check_thread(thread: Any, where: str = "") -> str | None:
    """None, or a non-empty str of at most MAX_THREAD characters."""
    if thread is not None and (not isinstance(thread, str) or not thread
                               or len(thread) > MAX_THREAD):
        raise InvalidParams(f"a memory's thread is a non-empty str of at most {MAX_THREAD} "
                            f"characters, not {thread!r:.60}", field=where + "thread")
    return thread


EARLIEST: Final = -62_135_596_800.0  # 1 January of the year 1, UTC
LATEST: Final = 253_402_300_799.0  # the last second of the year 9999, UTC


def check_at(at: Any, where: str = "") -> float | None:
    """None, or a time in seconds since 1970 (before it is negative) from year 1 to 9999."""
    if at is not None and (type(at) not in (int, float) or not EARLIEST <= at <= LATEST):
        raise InvalidParams(f"at is a time in seconds since 1970 (negative before it), from "
                            f"year 1 to 9999, not {at!r:.60}", field=where + "at")
    return None if at is None else float(at)


def check_context(context: Any, where: str = "") -> str | None:
    """None, or a str within the text's size limit."""
    if context is not None and (not isinstance(context, str) or len(context) > MAX_TEXT):
        raise InvalidParams(f"a memory's context is a str of at most {MAX_TEXT} characters, "
                            f"not {context!r:.60}", field=where + "context")
    return context or None


def check_text(text: Any, where: str = "") -> str:
    """A non-empty text within the size limit."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise InvalidParams(f"a memory's text is a non-empty str of at most {MAX_TEXT} "
                            f"characters, not {text!r:.60}", field=where + "text")
    return text


def check_metadata(metadata: Any, where: str = "") -> dict[str, Any]:
    """A map JSON can hold (None: empty)."""
    metadata = {} if metadata is None else metadata
    if not isinstance(metadata, dict):
        raise InvalidParams("metadata must be a map", field=where + "metadata")
    encode_metadata(metadata, where)
    return metadata


def check_importance(importance: Any, where: str = "") -> float:
    """A number from 0 to 1 (None: 0.5)."""
    value = 0.5 if importance is None else importance
    if type(value) not in (int, float) or not 0.0 <= value <= 1.0 or math.isnan(value):
        raise InvalidParams(f"importance is a number from 0 to 1, not {importance!r}",
                            field=where + "importance")
    return float(value)


def encode_metadata(metadata: dict[str, Any], where: str = "") -> str:
    """metadata as JSON for the table."""
    try:
        return json.dumps(metadata, ensure_ascii=False, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InvalidParams(f"metadata must hold only maps, lists, text, numbers, booleans "
                            f"and null: {exc}", field=where + "metadata") from exc


def matches(metadata: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether metadata has every key of wanted with an equal value (the `filter` param)."""
    return all(key in metadata and metadata[key] == value for key, value in wanted.items())
