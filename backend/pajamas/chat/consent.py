"""`Consents`: tool calls waiting for the user's decision, and the decisions that end them.

A reply that wants to run a model's tool call without a standing grant asks: `ask` publishes
`chat.tool_request` and waits on the reply's thread until `decide` (chat.tool_decide) answers
"once", "always" or "decline", the reply is stopped (chat.stop wakes it: "cancelled"), or
`DECIDE_S` pass (taken as a decline).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, final

from pajamas.errors import InvalidParams, NotFound

if TYPE_CHECKING:
    from pajamas.chat.replies import Reply
    from pajamas.context import Publish

DECIDE_S: Final = 600.0
DECISIONS: Final = ("once", "always", "decline")
Answer = Literal["once", "always", "declined", "cancelled"]


@dataclass
class Request:
    """A tool call waiting for a decision, as `chat.tool_request` shows it."""

    data: dict[str, Any]
    answered: threading.Event = field(default_factory=threading.Event)
    decision: str | None = None


@final
class Consents:
    """The tool calls waiting for a decision, by (conversation, call id)."""

    def __init__(self, publish: Publish) -> None:
        self._publish = publish
        self._waiting: dict[tuple[str, str], Request] = {}
        self._lock = threading.Lock()

    def ask(self, reply: Reply, call: str, plugin: str, function: str,
            arguments: dict[str, Any]) -> Answer:
        """Publish the request and wait for its decision (on the reply's thread)."""
        request = Request({"conversation": reply.conversation, "message": reply.message,
                           "call": call, "plugin": plugin, "function": function,
                           "arguments": arguments})
        key = (reply.conversation, call)
        with self._lock:
            self._waiting[key] = request
        reply.waiting = request.answered  # chat.stop sets it
        try:
            if reply.cancelled.is_set():
                return "cancelled"
            self._publish("chat.tool_request", request.data)
            request.answered.wait(DECIDE_S)
        finally:
            reply.waiting = None
            with self._lock:
                self._waiting.pop(key, None)
        if reply.cancelled.is_set():
            return "cancelled"
        if request.decision == "once":
            return "once"
        return "always" if request.decision == "always" else "declined"

    def decide(self, conversation: str, call: str, decision: str) -> None:
        """Answer a waiting call: "once", "always" or "decline"."""
        if decision not in DECISIONS:
            raise InvalidParams(f"decision is one of {', '.join(DECISIONS)}, not {decision!r}",
                                field="decision")
        with self._lock:
            request = self._waiting.get((conversation, call))
        if request is None:
            raise NotFound(f"no tool call {call!r} waits for a decision in this conversation; "
                           "it may have been answered or stopped already",
                           conversation=conversation, call=call)
        request.decision = decision
        request.answered.set()

    def pending(self, conversation: str) -> list[dict[str, Any]]:
        """The calls of the conversation waiting for a decision, as chat.tool_request's."""
        with self._lock:
            return [request.data for (c, _), request in self._waiting.items()
                    if c == conversation]
