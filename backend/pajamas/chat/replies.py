"""`Replies`: each reply is written on its own thread, streamed as events, and stored.

`start` returns at once.  The thread prepares the request (the prompt, and the embedded
server's start when it is the provider), streams it as `chat.delta` events, and ends with one
`chat.done` (see model.Done) once the text is stored: the deltas add up to that text.  A
failure ends the reply with finish_reason "error" and the message of the `ProviderFailed`;
`stop` ends it with "cancelled", keeping the partial text (and wakes a tool call waiting for
the user's decision).  One reply per conversation runs at a time.

With tools (tools.py), the model may answer a round with tool calls instead of a last word:
they are run, and the reply streams on in a new request, its deltas added to the same text.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, final

from pajamas.chat.client import Finish, ProviderClient, Request
from pajamas.chat.model import Done, FinishReason, ToolRecord, Usage
from pajamas.errors import Conflict, HubError

if TYPE_CHECKING:
    from pajamas.chat.tools import Toolbox
    from pajamas.context import Publish

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    """What a reply needs once its prompt is built: the client and the request, the memory
    ids the prompt shows, its tokens, and how to count the reply's."""

    client: ProviderClient
    request: Request
    memories: list[str]
    prompt_tokens: int
    count: Callable[[str], int] | None = None  # the provider's tokenizer, for servers that
    # do not report usage while streaming (llama-cpp-python's)
    release: Callable[[], None] | None = None  # called once the reply ended (embedded.py)
    tools: Toolbox | None = None  # the plugins offered to the model, and how to run calls


@dataclass
class Reply:
    """A reply being written."""

    conversation: str
    message: str
    key: int
    cancelled: threading.Event = field(default_factory=threading.Event)
    client: ProviderClient | None = None
    parts: list[str] = field(default_factory=list)
    tools: list[ToolRecord] = field(default_factory=list)  # the tool calls, as decided and run
    waiting: threading.Event | None = None  # set to wake a call waiting for a decision


@dataclass(frozen=True)
class Ended:
    """How a reply ended, as it is stored: its text, the memories its prompt used, its cost,
    its finish_reason and, for "error", what went wrong."""

    text: str
    memories: list[str]
    usage: Usage
    reason: FinishReason
    error: str | None


#: Stores the ended reply: (reply, ended) -> what to do once chat.done is sent (keeping the
#: turn in memory, which may wait for the embedding model), or None.
Store = Callable[[Reply, Ended], Callable[[], None] | None]


@final
class Replies:
    """The replies being written, one per conversation at most."""

    def __init__(self, publish: Publish, count: Callable[[str], int]) -> None:
        self._publish, self._count = publish, count
        self._lock = threading.Lock()
        self._running: dict[str, Reply] = {}
        self._keys = itertools.count(1)

    def claim(self, conversation: str) -> Reply:
        """Reserve the conversation for a reply (its message is set next); `Conflict` while
        another one is written."""
        with self._lock:
            if conversation in self._running:
                raise Conflict("a reply is being written in this conversation; wait for it "
                               "to finish, or stop it", conversation=conversation)
            reply = Reply(conversation, "", next(self._keys))
            self._running[conversation] = reply
            return reply

    def release(self, reply: Reply) -> None:
        """Give the conversation back (a reply that will not start)."""
        with self._lock:
            self._running.pop(reply.conversation, None)

    def start(self, reply: Reply, prepare: Callable[[], Prepared], store: Store) -> None:
        """Write the claimed reply on a thread."""
        threading.Thread(target=self._run, args=(reply, prepare, store), daemon=True,
                         name=f"pajamas-reply-{reply.key}").start()

    def running(self, conversation: str) -> bool:
        """Whether a reply is being written in the conversation."""
        with self._lock:
            return conversation in self._running

    def writing(self, conversation: str) -> str | None:
        """The id of the reply being written in the conversation (None: none, or a slash
        command runs)."""
        with self._lock:
            reply = self._running.get(conversation)
        return reply.message or None if reply is not None else None

    def stop(self, conversation: str) -> bool:
        """Stop the conversation's reply (its partial text is kept); whether one ran."""
        with self._lock:
            reply = self._running.get(conversation)
        if reply is None:
            return False
        reply.cancelled.set()
        waiting = reply.waiting
        if waiting is not None:
            waiting.set()
        if reply.client is not None:
            reply.client.close_stream(reply.key)  # wakes a reader waiting on a silent server
        return True

    def stop_all(self) -> None:
        """Stop every reply (the core is stopping)."""
        with self._lock:
            conversations = list(self._running)
        for conversation in conversations:
            self.stop(conversation)

    # -- the reply's thread -------------------------------------------------------------

    def _run(self, reply: Reply, prepare: Callable[[], Prepared], store: Store) -> None:
        began = time.monotonic()
        first: float | None = None
        finish: Finish | None = None
        reason: FinishReason = "stop"
        error: str | None = None
        prepared: Prepared | None = None
        try:
            prepared = prepare()
            reply.client = prepared.client
            request: Request | None = prepared.request
            while request is not None and not reply.cancelled.is_set():
                said = len(reply.parts)
                finish, streamed = self._stream(reply, prepared.client, request)
                first = first or streamed
                calls = finish.tool_calls if finish is not None else ()
                request = prepared.tools.follow(reply, request, "".join(reply.parts[said:]),
                                                calls) \
                    if calls and prepared.tools is not None else None
        except HubError as exc:
            if not reply.cancelled.is_set():
                reason, error = "error", exc.message
        except Exception as exc:  # the border of the reply's thread: a bug ends the reply
            log.exception("reply %s failed", reply.message)
            reason, error = "error", f"the hub failed while writing the reply: {exc!r}"
        if reply.cancelled.is_set():
            reason, error = "cancelled", None
        elif finish is not None and error is None:
            reason = "length" if finish.reason == "length" else "stop"
        self._end(reply, store, prepared, timing=_Timing(began, first, time.monotonic()),
                  finish=finish, reason=reason, error=error)

    def _stream(self, reply: Reply, client: ProviderClient,
                request: Request) -> tuple[Finish | None, float | None]:
        """Stream one request into the reply: its Finish (None if stopped), and when its
        first delta came."""
        first: float | None = None
        for event in client.stream(request, reply.key):
            if reply.cancelled.is_set():
                return None, first
            if isinstance(event, Finish):
                return event, first
            first = first or time.monotonic()
            reply.parts.append(event.text)
            self._publish("chat.delta", {"conversation": reply.conversation,
                                         "message": reply.message, "delta": event.text})
        return None, first

    def _end(self, reply: Reply, store: Store, prepared: Prepared | None, *, timing: _Timing,
             finish: Finish | None, reason: FinishReason, error: str | None) -> None:
        text = "".join(reply.parts)
        usage = self._usage(text, prepared, finish, timing)
        memories = prepared.memories if prepared is not None else []
        then = None
        try:
            then = store(reply, Ended(text, memories, usage, reason, error))
        except HubError as exc:
            log.warning("reply %s could not be stored: %s", reply.message, exc.message)
            reason, error = "error", f"the reply could not be stored: {exc.message}"
        finally:
            self.release(reply)
            if prepared is not None and prepared.release is not None:
                prepared.release()
        done = Done(conversation=reply.conversation, message=reply.message, text=text,
                    finish_reason=reason, usage=usage)
        if error is not None:
            done["error"] = error
        if reply.tools:
            done["tools"] = reply.tools
        self._publish("chat.done", done)
        if then is not None and reason != "error":
            then()

    def _usage(self, text: str, prepared: Prepared | None, finish: Finish | None,
               timing: _Timing) -> Usage:
        completion = finish.completion_tokens if finish and finish.completion_tokens else None
        prompt = finish.prompt_tokens if finish and finish.prompt_tokens else None
        if completion is None:
            count = prepared.count if prepared is not None and prepared.count else self._count
            completion = count(text)
        if prompt is None:
            prompt = prepared.prompt_tokens if prepared is not None else 0
        ttft = None if timing.first is None else (timing.first - timing.began) * 1000.0
        streaming = None if timing.first is None else timing.end - timing.first
        rate = completion / streaming if streaming and completion > 1 else None
        return Usage(prompt_tokens=prompt, completion_tokens=completion, ttft_ms=ttft,
                     tokens_per_s=rate)


@dataclass(frozen=True)
class _Timing:
    began: float
    first: float | None
    end: float
