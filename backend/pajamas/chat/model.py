"""Providers, conversations and messages as the protocol shows them, and their checks."""

from __future__ import annotations

from typing import Any, Final, Literal, NotRequired, TypedDict
from urllib.parse import urlsplit

from pajamas.errors import InvalidParams

EMBEDDED: Final = "embedded"  # the id of the provider that ships with the hub
MAX_TEXT: Final = 200_000
Role = Literal["user", "assistant", "system"]
FinishReason = Literal["stop", "length", "cancelled", "error"]
#: How a plugin call of the chat came to run, or not: a slash command; a model's tool call
#: the user allowed "once" or "always", one a stored grant let run ("granted"), one the
#: user "declined", one left undecided when the reply was stopped ("cancelled"), or one
#: past the reply's rounds ("skipped").
Decision = Literal["command", "once", "always", "granted", "declined", "cancelled", "skipped"]


class Provider(TypedDict):
    """{"id", "base_url", "model", "context_tokens", "default", "embedded", "has_key",
    "tools"}; `tools`: the server takes OpenAI tool calls."""

    id: str
    base_url: str
    model: str
    context_tokens: int
    default: bool
    embedded: bool
    has_key: bool
    tools: bool


class ToolRecord(TypedDict):
    """A plugin call a message shows: what was called, how it was decided, what came back.

    `output` is the result as text (JSON for maps and lists), `error` the failure's message
    and `hint` the method that helps (as errors carry it); both null when it did not run.
    """

    call: str
    plugin: str
    function: str
    arguments: dict[str, Any]
    decision: Decision
    output: str | None
    error: str | None
    hint: str | None


class Usage(TypedDict):
    """What a reply cost: tokens both ways, time to first token and the streaming rate."""

    prompt_tokens: int
    completion_tokens: int
    ttft_ms: float | None
    tokens_per_s: float | None


class Message(TypedDict):
    """{"id", "conversation", "role", "text", "swipes", "swipe", "created_at", "memories",
    "usage", "tools", "finish_reason", "error"}; `text` is swipes[swipe]; `tools` the plugin
    calls it shows; `finish_reason` and `error` how the shown swipe's reply ended (null for
    messages no reply wrote: the user's, greetings, imports, and a reply still written)."""

    id: str
    conversation: str
    role: Role
    text: str
    swipes: list[str]
    swipe: int
    created_at: float
    memories: list[str]
    usage: Usage | None
    tools: list[ToolRecord]
    finish_reason: FinishReason | None
    error: str | None


class Ending(TypedDict):
    """How one swipe of a reply ended, as stored."""

    finish_reason: FinishReason
    error: str | None


class Conversation(TypedDict):
    """{"id", "persona", "title", "provider", "created_at", "updated_at", "messages",
    "writing"}; `writing` the id of the reply being written in it, or None."""

    id: str
    persona: str
    title: str
    provider: str | None
    created_at: float
    updated_at: float
    messages: int
    writing: str | None


class Done(TypedDict):
    """The `chat.done` event: how a reply ended."""

    conversation: str
    message: str
    text: str
    finish_reason: FinishReason
    usage: Usage
    error: NotRequired[str]
    tools: NotRequired[list[ToolRecord]]


def check_id(value: str, field: str = "id") -> str:
    """A provider id: 1-64 letters, digits, '-', '_' or '.'."""
    if not (0 < len(value) <= 64 and all(c.isalnum() or c in "-_." for c in value)):
        raise InvalidParams(f"{field} is 1-64 letters, digits, '-', '_' or '.', not {value!r}",
                            field=field)
    return value


def check_base_url(url: str) -> str:
    """An http(s) URL without a trailing slash ("http://127.0.0.1:8080/v1")."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidParams(f"base_url must be an http(s) URL such as http://127.0.0.1:8080/v1, "
                            f"not {url!r}", field="base_url")
    return url.rstrip("/")


def check_context_tokens(value: int) -> int:
    """A context size the prompt can fit in."""
    if not 256 <= value <= 10_000_000:
        raise InvalidParams(f"context_tokens is 256 or more, not {value}",
                            field="context_tokens")
    return value


def check_text(text: Any, field: str = "text") -> str:
    """A non-empty message text within the size limit."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise InvalidParams(f"{field} is a non-empty str of at most {MAX_TEXT} characters",
                            field=field)
    return text


def check_page(offset: int, limit: int, *, most: int = 1000) -> None:
    """A page of a list: offset ≥ 0 and 1 ≤ limit ≤ most."""
    if offset < 0:
        raise InvalidParams(f"offset must be 0 or more, not {offset}", field="offset")
    if not 1 <= limit <= most:
        raise InvalidParams(f"limit must be 1 to {most}, not {limit}", field="limit")
