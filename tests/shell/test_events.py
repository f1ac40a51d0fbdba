"""The event forwarder hands the core's events to the page, in bounded batches.

The page is a fake window that records the scripts given to `evaluate_js` (pywebview's border);
everything on the hub's side is real: a core, or a PUB socket speaking the protocol.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import zmq

from pajamas.errors import CoreNotRunning
from pajamas.rpc import connection, protocol
from pajamas.rpc.client import Subscriber
from pajamas.rpc.connection import ConnectionInfo
from pajamas.rpc.protocol import Event
from pajamas.shell.events import EventForwarder, dispatch_script, encode_details
from tests.conftest import PATIENCE_S, RunningCore


@dataclass
class FakeWindow:
    """Records each script; `delay` makes the page slow, `fail` makes evaluate_js raise.

    A script with an event of the topic `hold_on` holds the page (and so the forwarder's
    thread) until `release` is set; `held` says that it does.  With `forwarder` set, each
    script's entry in `not_before` is the time the forwarder set for its next batch.
    """

    delay: float = 0.0
    fail: bool = False
    scripts: list[tuple[float, str]] = field(default_factory=list)
    hold_on: str | None = None
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    forwarder: EventForwarder | None = None
    not_before: list[float] = field(default_factory=list)

    def evaluate_js(self, script: str) -> Any:
        self.scripts.append((time.monotonic(), script))
        if self.forwarder is not None:
            self.not_before.append(self.forwarder.next_flush)
        if self.fail:
            raise RuntimeError("the page is gone")
        if self.hold_on is not None and any(d["topic"] == self.hold_on
                                            for d in details_in(script)):
            self.held.set()
            self.release.wait(PATIENCE_S)
        time.sleep(self.delay)  # a slow page is what the forwarder must cope with
        return None

    def events(self) -> list[dict[str, Any]]:
        """Every event detail the page was given, in order."""
        return [detail for _, script in list(self.scripts) for detail in details_in(script)]


def details_in(script: str) -> list[dict[str, Any]]:
    """The JSON array of details at the end of a dispatch script."""
    match = re.search(r"\)\((\[.*\])\)$", script, re.DOTALL)
    assert match, script
    details: list[dict[str, Any]] = json.loads(match.group(1))
    return details


def wait_until(condition: Callable[[], bool], timeout: float = PATIENCE_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def forwarders() -> Iterator[list[EventForwarder]]:
    made: list[EventForwarder] = []
    yield made
    for forwarder in made:
        forwarder.stop()


class Publisher:
    """The core's side of the events socket, written with the protocol module."""

    def __init__(self, tmp: Any) -> None:
        self.key = connection.new_key()
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.PUB)
        self.sock.setsockopt(zmq.SNDHWM, 100_000)
        endpoint = f"ipc://{tmp}/events.sock"
        self.sock.bind(endpoint)
        self.info = connection.make_info("ipc:///nowhere", endpoint, self.key)

    def send(self, topic: str, data: Any) -> None:
        body = protocol.encode_event(topic, data)
        self.sock.send_multipart([topic.encode(), protocol.sign(self.key.encode(), body), body])

    def close(self) -> None:
        self.sock.close(linger=0)
        self.ctx.term()


@pytest.fixture
def publisher(tmp_path: Any) -> Iterator[Publisher]:
    pub = Publisher(tmp_path)
    yield pub
    pub.close()


def connected(forwarder: EventForwarder, publisher: Publisher) -> None:
    """Publish pings until the forwarder's subscription is live (zmq's slow joiner)."""
    def seen() -> bool:
        publisher.send("test.hello", None)
        return forwarder.delivered > 0
    wait_until(seen)


def start(forwarders: list[EventForwarder], info: ConnectionInfo, window: FakeWindow,
          loaded: threading.Event, subscribe: Callable[[], Subscriber] | None = None,
          **options: Any) -> EventForwarder:
    forwarder = EventForwarder(subscribe or (lambda: Subscriber(info)), window, loaded,
                               **options)
    forwarders.append(forwarder)
    forwarder.start()
    return forwarder


def test_monitor_samples_of_a_real_core_reach_the_page(
        core: RunningCore, forwarders: list[EventForwarder]) -> None:
    window, loaded = FakeWindow(), threading.Event()
    loaded.set()
    start(forwarders, core.info, window, loaded)
    # The test core samples every 0.2 s (tests/conftest.py).
    wait_until(lambda: sum(e["topic"] == "monitor.sample" for e in window.events()) >= 3)
    sample = next(e for e in window.events() if e["topic"] == "monitor.sample")
    assert sample["data"]["core"]["pid"] == core.process.pid
    assert sample["data"]["core"]["rss"] > 0
    assert isinstance(sample["time"], float)


class CountingSubscriber(Subscriber):
    """A subscriber that counts the events it received."""

    received = 0

    def receive(self, timeout: float | None = None) -> Event | None:
        event = super().receive(timeout)
        self.received += event is not None
        return event


class AskedFlag(threading.Event):
    """The page's loaded flag, counting how often it is asked (the forwarder asks only while
    it holds events)."""

    asked = 0

    def is_set(self) -> bool:
        self.asked += 1
        return super().is_set()


def test_nothing_is_handed_over_before_the_page_is_loaded(
        core: RunningCore, forwarders: list[EventForwarder]) -> None:
    window, loaded = FakeWindow(), AskedFlag()
    subscriber = CountingSubscriber(core.info)
    forwarder = start(forwarders, core.info, window, loaded, subscribe=lambda: subscriber)
    wait_until(lambda: subscriber.received >= 2)  # monitor samples, every 0.2 s
    asked = loaded.asked
    wait_until(lambda: loaded.asked >= asked + 2)  # it held them through a pass of its loop
    assert window.scripts == []
    loaded.set()
    wait_until(lambda: len(window.scripts) > 0)
    # What came before the page was loaded is handed over at once, in one batch.
    assert len(details_in(window.scripts[0][1])) >= 2
    forwarder.stop()
    assert not forwarder.running


def test_a_flood_is_batched_bounded_and_keeps_the_newest(
        publisher: Publisher, forwarders: list[EventForwarder]) -> None:
    window, loaded = FakeWindow(delay=0.05, hold_on="test.hold"), threading.Event()
    loaded.set()
    forwarder = window.forwarder = start(forwarders, publisher.info, window, loaded,
                                         max_batch=100, min_interval_s=0.1)
    connected(forwarder, publisher)
    publisher.send("test.hold", None)  # after every hello, so in the held script or before
    assert window.held.wait(PATIENCE_S)
    # The forwarder is stuck in the page: the flood queues up in full before it reads any.
    before_flood, dropped_before = len(window.scripts), forwarder.dropped
    for seq in range(5000):
        publisher.send("test.flood", seq)
    publisher.send("test.last", "end")
    window.release.set()
    wait_until(lambda: any(e["topic"] == "test.last" for e in window.events()))

    scripts = window.scripts[before_flood:]
    assert all(len(details_in(script)) <= 100 for _, script in scripts)
    # At most one script per min_interval_s, checked against the forwarder's own deadlines:
    # no script came before the deadline the one before it set, and each deadline is at least
    # min_interval_s after the one before.  (The gaps between arrivals also hold the time the
    # forwarder took from setting a deadline to calling the page, which a busy machine stretches.)
    came = [at for at, _ in window.scripts]
    early = [(came[n], window.not_before[n - 1]) for n in range(before_flood, len(came))
             if came[n] < window.not_before[n - 1]]
    assert early == []
    assert all(b >= a + 0.1 for a, b in itertools.pairwise(window.not_before[before_flood - 1:]))
    flood = [d["data"] for _, script in scripts for d in details_in(script)
             if d["topic"] == "test.flood"]
    assert flood == sorted(flood) and flood[-1] == 4999  # in order, the newest kept
    # Each event was handed over or counted as dropped; a batch drops its oldest.
    dropped = forwarder.dropped - dropped_before
    assert dropped > 0 and len(flood) + dropped == 5000


def test_an_event_json_cannot_carry_is_dropped_alone(
        publisher: Publisher, forwarders: list[EventForwarder]) -> None:
    window, loaded = FakeWindow(), threading.Event()
    loaded.set()
    forwarder = start(forwarders, publisher.info, window, loaded, min_interval_s=0.5)
    connected(forwarder, publisher)
    publisher.send("test.bytes", b"\x00")
    publisher.send("test.ok", {"fine": True})
    wait_until(lambda: any(e["topic"] == "test.ok" for e in window.events()))
    assert not any(e["topic"] == "test.bytes" for e in window.events())
    assert forwarder.dropped == 1


def test_a_failing_page_does_not_stop_the_forwarder(
        publisher: Publisher, forwarders: list[EventForwarder]) -> None:
    window, loaded = FakeWindow(fail=True), threading.Event()
    loaded.set()
    forwarder = start(forwarders, publisher.info, window, loaded, min_interval_s=0.01)

    def lost() -> bool:
        publisher.send("test.lost", None)
        return forwarder.dropped > 0

    wait_until(lost)
    window.fail = False
    connected(forwarder, publisher)  # a later batch gets through
    assert forwarder.running


def test_no_core_means_no_core_events_but_the_shell_still_speaks(
        tmp_path: Any, forwarders: list[EventForwarder]) -> None:
    attempts: list[float] = []

    def subscribe() -> Subscriber:
        attempts.append(time.monotonic())
        return Subscriber(connection.read(tmp_path))  # raises CoreNotRunning

    with pytest.raises(CoreNotRunning):
        subscribe()
    window, loaded = FakeWindow(), threading.Event()
    loaded.set()
    forwarder = EventForwarder(subscribe, window, loaded)
    forwarders.append(forwarder)
    forwarder.start()
    forwarder.inject(Event("shell.connection", time.time(), {"state": "disconnected"}))
    wait_until(lambda: [e["topic"] for e in window.events()] == ["shell.connection"])
    wait_until(lambda: len(attempts) >= 3)  # it keeps trying: a core may start later
    forwarder.stop()
    assert not forwarder.running


def test_a_new_generation_subscribes_again(tmp_path: Any,
                                           forwarders: list[EventForwarder]) -> None:
    generation = [0]
    subscribed: list[int] = []

    def subscribe() -> Subscriber:
        subscribed.append(generation[0])
        raise CoreNotRunning("no core yet")

    forwarder = EventForwarder(subscribe, FakeWindow(), threading.Event(),
                               generation=lambda: generation[0])
    forwarders.append(forwarder)
    forwarder.start()
    wait_until(lambda: subscribed[:1] == [0])
    generation[0] = 1
    wait_until(lambda: 1 in subscribed)


@pytest.mark.parametrize("data", [
    "quotes \" ' and backslashes \\ and </script>",
    "line\nbreaks\r\u2028\u2029 and emoji \U0001f600",
    {"nested": [1, 2.5, None, True, "x"]},
])
def test_the_script_dispatches_the_exact_details_in_javascript(data: Any) -> None:
    node = shutil.which("node")
    assert node, "node runs the webui's tests and this one"
    events = [Event("test.a", 1.5, data), Event("test.b", 2.0, None)]
    script = dispatch_script(encode_details(events))
    harness = (
        "globalThis.window = new EventTarget();"
        "const got = [];"
        "window.addEventListener('pajamas:event', (e) => got.push(e.detail));"
        # pywebview hands the script to eval(), so the test does too
        f"const count = eval({json.dumps(script)});"
        "console.log(JSON.stringify({count, got}));")
    out = subprocess.run([node, "-e", harness], capture_output=True, text=True, check=True,
                         timeout=30)
    result = json.loads(out.stdout)
    assert result["count"] == 2
    assert result["got"] == [{"topic": "test.a", "time": 1.5, "data": data},
                             {"topic": "test.b", "time": 2.0, "data": None}]
