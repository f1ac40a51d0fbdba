"""Timing chat replies as a client sees them, and the same requests sent straight to a server.

`EventTap` receives the core's events on its own thread and stamps each with
`time.monotonic()` as it arrives, so an event that lands while the main thread still waits for
chat.send's answer keeps its true arrival time.  `hub_reply` sends a message and collects its
chat.delta arrivals until chat.done; `direct_reply` streams a request with the hub's own
`ProviderClient` (the openai package, the same parsing as the hub's), timed the same way.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Final

from pajamas.errors import HubTimeout, Internal
from pajamas.rpc.client import Client, Subscriber
from pajamas.rpc.protocol import Event

REPLY_TIMEOUT_S: Final = 300.0
JOIN_S: Final = 0.3  # a SUB socket misses what is published before it has joined


@dataclass
class Streamed:
    """A reply's timeline on the monotonic clock: when it was asked for, each piece's arrival
    and text, and (through the hub) the chat.done event's data."""

    began: float
    arrivals: list[float] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    done: dict[str, Any] = field(default_factory=dict)
    others: list[Event] = field(default_factory=list)  # what else arrived meanwhile

    @property
    def first_ms(self) -> float:
        """Milliseconds from asking to the first piece."""
        if not self.arrivals:
            raise Internal(f"the reply had no text: {self.done or 'nothing arrived'}")
        return (self.arrivals[0] - self.began) * 1000


class EventTap:
    """The core's events with their arrival times, read on a thread into a queue."""

    def __init__(self, client: Client, topics: tuple[str, ...]) -> None:
        self._events: queue.Queue[tuple[float, Event]] = queue.Queue()
        self._subscriber = Subscriber(client.info, topics)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="pajamas-perf-tap")
        self._thread.start()
        time.sleep(JOIN_S)

    def next(self, deadline: float) -> tuple[float, Event]:
        """The next event and its arrival; `HubTimeout` past deadline (monotonic)."""
        try:
            return self._events.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise HubTimeout("no chat event arrived in time") from None

    def drain(self) -> None:
        """Forget what arrived so far."""
        while not self._events.empty():
            self._events.get_nowait()

    def close(self) -> None:
        """Stop reading and close the socket."""
        self._stop.set()
        self._thread.join(5)
        self._subscriber.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            event = self._subscriber.receive(0.1)
            if event is not None:
                self._events.put((time.monotonic(), event))


def hub_reply(client: Client, tap: EventTap, conversation: str, text: str, *,
              stop_after: int | None = None, timeout_s: float = REPLY_TIMEOUT_S) -> Streamed:
    """Send text in conversation and follow its reply to chat.done (stopped with chat.stop
    once stop_after pieces arrived, when given)."""
    tap.drain()
    streamed = Streamed(time.monotonic())
    client.call("chat.send", {"conversation": conversation, "text": text})
    deadline = streamed.began + timeout_s
    while True:
        arrived, event = tap.next(deadline)
        data = event.data if isinstance(event.data, dict) else {}
        if data.get("conversation") != conversation:
            streamed.others.append(event)
        elif event.topic == "chat.delta":
            streamed.arrivals.append(arrived)
            streamed.texts.append(str(data.get("delta", "")))
            if len(streamed.arrivals) == stop_after:
                client.call("chat.stop", {"conversation": conversation})
        elif event.topic == "chat.done":
            streamed.done = data
            if data.get("finish_reason") == "error":
                raise Internal(f"the reply failed: {data.get('error')}")
            return streamed


def wait_for(tap: EventTap, topic: str, match: dict[str, Any], timeout_s: float) -> bool:
    """Whether an event of topic whose data has match's items arrived within timeout_s."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            _, event = tap.next(deadline)
        except HubTimeout:
            return False
        data = event.data if isinstance(event.data, dict) else {}
        if event.topic == topic and all(data.get(k) == v for k, v in match.items()):
            return True


def direct_reply(provider: Any, request: Any, key: int) -> Streamed:
    """Stream request with provider (a `ProviderClient`), timing each piece."""
    from pajamas.chat.client import Delta  # noqa: PLC0415

    streamed = Streamed(time.monotonic())
    for event in provider.stream(request, key):
        if isinstance(event, Delta):
            streamed.arrivals.append(time.monotonic())
            streamed.texts.append(event.text)
    return streamed


def prompt_request(client: Client, conversation: str, text: str, *, model: str,
                   max_tokens: int, temperature: float | None) -> Any:
    """The `Request` the hub's next reply to text would send (chat.prompt's messages)."""
    from pajamas.chat.client import Request  # noqa: PLC0415

    prompt = client.call("chat.prompt", {"conversation": conversation, "text": text})
    return Request(prompt["messages"], model, max_tokens, temperature)
