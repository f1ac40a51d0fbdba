"""Forwards the core's events into the page, where `webui/src/bridge.js` hears them.

Each event becomes ``window.dispatchEvent(new CustomEvent("pajamas:event", {detail}))`` with
``detail = {topic, time, data}``.  A thread receives the events and hands them to the page in
batches, one `evaluate_js` per batch and at most one batch every `min_interval_s`, so a flood of
events costs the UI thread a bounded amount of work: when more than `max_batch` events wait,
the oldest are dropped (and counted), the newest kept.

When the core is replaced (its `generation` changes, see `corelink`), the forwarder subscribes
to the new one.  The shell adds events of its own with `inject`: ``shell.connection``
``{"state", "message"}`` says whether the window is connected, reconnecting or disconnected.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Final, Protocol, final

from pajamas.errors import HubError
from pajamas.rpc.client import Subscriber
from pajamas.rpc.protocol import Event

log = logging.getLogger(__name__)

EVENT_NAME: Final = "pajamas:event"
# How long the thread waits for an event before it looks at its stop flag again.
_IDLE_WAIT_S: Final = 0.1
# Drain at most this many queued events per pass, so a flood cannot starve the flushes.
_DRAIN_FACTOR: Final = 4


class Page(Protocol):
    """The one thing the forwarder needs of a pywebview window."""

    def evaluate_js(self, script: str) -> Any:
        """Run script in the page and return its value."""


class Flag(Protocol):
    """Set once the page can take scripts (pywebview's `window.events.loaded`)."""

    def is_set(self) -> bool:
        """Whether the page is loaded."""


def encode_details(events: Iterable[Event]) -> list[str]:
    """Each event's detail `{topic, time, data}` as JSON; events that are not JSON are dropped.

    The JSON escapes every non-ASCII character, which makes it a valid JavaScript expression
    too, so no value can break out of the script.  An event whose data JSON cannot carry
    (bytes, NaN) is dropped with a warning rather than spoiling the batch.
    """
    return [text for text in map(_detail_json, events) if text is not None]


def dispatch_script(details: list[str]) -> str:
    """JavaScript that dispatches each JSON detail as a `pajamas:event`; returns the count."""
    return ("(function (events) {"
            " for (var i = 0; i < events.length; i++) window.dispatchEvent("
            f"new CustomEvent({json.dumps(EVENT_NAME)}, {{detail: events[i]}}));"
            " return events.length; })"
            f"([{','.join(details)}])")


def _detail_json(event: Event) -> str | None:
    detail = {"topic": event.topic, "time": event.time, "data": event.data}
    try:
        return json.dumps(detail, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        log.warning("dropped a %s event the page cannot take as JSON: %s", event.topic, exc)
        return None


@final
class EventForwarder:
    """Moves the core's events into the page on a thread of its own, in bounded batches."""

    def __init__(self, subscribe: Callable[[], Subscriber], page: Page, loaded: Flag, *,
                 max_batch: int = 256, min_interval_s: float = 0.05,
                 generation: Callable[[], int] = lambda: 0) -> None:
        """`subscribe` runs on the forwarder's thread (it may wait for the core to start).

        When `generation()` changes, the forwarder subscribes again (a new core).
        """
        self._subscribe, self._page, self._loaded = subscribe, page, loaded
        self._generation = generation
        self._injected: deque[Event] = deque(maxlen=max_batch)
        self._pending: deque[Event] = deque(maxlen=max_batch)
        self._min_interval = min_interval_s
        self._next_flush = 0.0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pajamas-events", daemon=True)
        self.delivered = 0  # events handed to the page
        self.dropped = 0  # events lost to a flood, a bad value or a failed script

    def start(self) -> None:
        """Begin forwarding."""
        self._thread.start()

    @property
    def running(self) -> bool:
        """Whether the forwarding thread is alive."""
        return self._thread.is_alive()

    @property
    def next_flush(self) -> float:
        """The `time.monotonic` before which no batch goes to the page (rate limit)."""
        return self._next_flush

    def request_stop(self) -> None:
        """Ask the thread to stop, without waiting (safe from any thread or callback)."""
        self._stopping.set()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop forwarding and wait for the thread, up to timeout seconds."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def inject(self, event: Event) -> None:
        """Hand the page an event of the shell's own (safe from any thread)."""
        self._injected.append(event)

    def _run(self) -> None:
        while not self._stopping.is_set():
            generation = self._generation()
            try:
                subscriber = self._subscribe()
            except HubError as exc:
                log.warning("the window gets no events for now: %s", exc.message)
                self._pass_without_core()
                continue
            try:
                while not self._stopping.is_set() and self._generation() == generation:
                    self._pass(subscriber)
            finally:
                subscriber.close()

    def _pass(self, subscriber: Subscriber | None) -> None:
        if subscriber is not None:
            self._collect(subscriber)
        while self._injected:
            self._add(self._injected.popleft())
        if self._pending and self._due():
            self._flush()

    def _pass_without_core(self) -> None:
        """Deliver the shell's own events for a while, until a core may be back."""
        deadline = time.monotonic() + 0.5
        while not self._stopping.is_set() and time.monotonic() < deadline:
            self._pass(None)
            self._stopping.wait(_IDLE_WAIT_S)

    def _collect(self, subscriber: Subscriber) -> None:
        """Wait for the next event (not past the next flush), then take what else is queued."""
        wait = _IDLE_WAIT_S
        if self._pending and self._loaded.is_set():
            wait = min(wait, max(0.0, self._next_flush - time.monotonic()))
        limit = (self._pending.maxlen or 1) * _DRAIN_FACTOR
        event = subscriber.receive(wait)
        while event is not None:
            self._add(event)
            limit -= 1
            event = subscriber.receive(0) if limit > 0 else None

    def _add(self, event: Event) -> None:
        if len(self._pending) == self._pending.maxlen:
            self.dropped += 1  # the deque drops the oldest
        self._pending.append(event)

    def _due(self) -> bool:
        return self._loaded.is_set() and time.monotonic() >= self._next_flush

    def _flush(self) -> None:
        batch = list(self._pending)
        self._pending.clear()
        self._next_flush = time.monotonic() + self._min_interval
        details = encode_details(batch)
        self.dropped += len(batch) - len(details)
        if not details:
            return
        try:
            self._page.evaluate_js(dispatch_script(details))
        except Exception as exc:  # pywebview raises several classes; the page may be gone
            self.dropped += len(details)
            log.warning("could not hand %d events to the page: %s", len(details), exc)
            return
        self.delivered += len(details)
