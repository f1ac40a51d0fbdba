"""SillyTavern's chat files (JSONL): read and written, unknown fields kept on a round trip.

A file is a header line, ``{"user_name", "character_name", "create_date", "chat_metadata"}``,
then one message a line: ``{"name", "is_user", "is_system", "send_date", "mes", "swipes",
"swipe_id", "extra", …}``.  Old files (before SillyTavern 1.10) have no `chat_metadata` and
no swipes, and give dates as epoch milliseconds; new ones as text ("January 15, 2024
12:30pm", ISO 8601, or "2024-01-15@12h30m45s").  Every field the hub does not model stays in
the message's (or the header's) `extra`, so an export gives it back.  A broken file is refused
with `InvalidParams` naming its line.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from pajamas.errors import InvalidParams

MODELLED: Final = frozenset({"mes", "swipes", "swipe_id", "is_user", "is_system"})
_TEXT_DATES: Final = ("%B %d, %Y %I:%M%p", "%B %d, %Y %I:%M %p", "%Y-%m-%d@%Hh%Mm%Ss",
                      "%Y-%m-%d @%Hh %Mm %Ss %fms")


@dataclass(frozen=True)
class ChatLine:
    """A message of a chat file, as the hub keeps it."""

    role: str
    swipes: list[str]
    swipe: int
    at: float | None
    extra: dict[str, Any]


@dataclass(frozen=True)
class ChatFile:
    """A whole chat file: its header and messages."""

    header: dict[str, Any]
    lines: list[ChatLine]


def parse(jsonl: str) -> ChatFile:
    """The chat in a SillyTavern JSONL text; `InvalidParams` naming the first bad line."""
    rows = [(n, line) for n, line in enumerate(jsonl.splitlines(), 1) if line.strip()]
    if not rows:
        raise InvalidParams("the chat file is empty; line 1 should be its header",
                            field="jsonl")
    header = _object(*rows[0])
    if not {"user_name", "character_name", "create_date"} & set(header):
        raise _bad(rows[0][0], "the header needs user_name, character_name or create_date")
    return ChatFile(header, [_message(n, _object(n, line)) for n, line in rows[1:]])


def render(chat: ChatFile) -> str:
    """The chat as a SillyTavern JSONL text (the inverse of parse, up to dates' spelling)."""
    out = [json.dumps(chat.header, ensure_ascii=False)]
    for line in chat.lines:
        row = dict(line.extra)
        had = row.pop("_had", [])
        row["is_user"] = line.role == "user"
        if line.role == "system" or "is_system" in had:
            row["is_system"] = line.role == "system"
        if "send_date" not in row and line.at is not None:
            row["send_date"] = send_date(line.at)
        row["mes"] = line.swipes[line.swipe]
        if len(line.swipes) > 1 or "swipes" in had:
            row["swipes"], row["swipe_id"] = line.swipes, line.swipe
        out.append(json.dumps(row, ensure_ascii=False))
    return "\n".join(out) + "\n"


def send_date(at: float) -> str:
    """A time as new SillyTavern files write it ("January 15, 2024 12:30pm")."""
    moment = datetime.fromtimestamp(at, UTC)
    return moment.strftime("%B %d, %Y %I:%M") + moment.strftime("%p").lower()


def create_date(at: float) -> str:
    """A chat's creation time as SillyTavern names it ("2024-01-15@12h30m45s")."""
    return time.strftime("%Y-%m-%d@%Hh%Mm%Ss", time.gmtime(at))


def read_time(value: Any) -> float | None:
    """Seconds since the epoch of a SillyTavern date (number or text), or None when it is none
    or out of any calendar's range (NaN, infinities, year 10000)."""
    try:
        seconds = _seconds(value)
        if seconds is not None:
            datetime.fromtimestamp(seconds, UTC)  # a time an export can write back
    except (OverflowError, ValueError, OSError):
        return None
    return seconds


def _seconds(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value / 1000.0 if value > 1e11 else float(value)
    if not isinstance(value, str):
        return None
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = next((m for m in (_strptime(value, f) for f in _TEXT_DATES) if m), None)
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _strptime(value: str, spelling: str) -> datetime | None:
    try:
        return datetime.strptime(value.strip(), spelling)  # naive: read as UTC by the caller
    except ValueError:
        return None


def _object(number: int, line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _bad(number, f"not JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise _bad(number, "its JSON is nested too deeply") from None
    if not isinstance(value, dict):
        raise _bad(number, "not a JSON object")
    return value


def _message(number: int, row: dict[str, Any]) -> ChatLine:
    text = row.get("mes")
    if not isinstance(text, str):
        raise _bad(number, "a message needs `mes`, a string")
    swipes = row.get("swipes")
    valid = isinstance(swipes, list) and swipes and all(isinstance(s, str) for s in swipes)
    swipes = list(swipes) if valid else [text]  # type: ignore[arg-type]  # checked above
    swipe = row.get("swipe_id")
    if not (isinstance(swipe, int) and 0 <= swipe < len(swipes) and swipes[swipe] == text):
        swipe = swipes.index(text) if text in swipes else len(swipes)
        if swipe == len(swipes):
            swipes.append(text)
    role = "system" if row.get("is_system") else "user" if row.get("is_user") else "assistant"
    extra = {k: v for k, v in row.items() if k not in MODELLED}
    extra["_had"] = sorted(k for k in MODELLED if k in row)  # written back only if there
    return ChatLine(role, swipes, swipe, read_time(row.get("send_date")), extra)


def _bad(number: int, why: str) -> InvalidParams:
    return InvalidParams(f"the chat file's line {number} is broken: {why}", field="jsonl",
                         line=number)
