"""Writers and watchers for fault scenarios: adders that record what the hub acknowledged, and
the core's task events, so that a fault lands at a moment an event chooses, not a sleep."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Final, final

from pajamas.errors import HubError
from pajamas.perf.faults.hub import KillableHub
from pajamas.perf.faults.ledger import Ledger
from pajamas.rpc import connection
from pajamas.rpc.client import Subscriber
from pajamas.rpc.protocol import Event

GUARD_S: Final = 300.0  # waiting longer for an event than this is a hang


def live_events(hub: KillableHub, prefix: str) -> Subscriber:
    """A subscriber to hub's events under prefix, returned once it is known to receive."""
    sub = Subscriber(connection.read(hub.home), (prefix, "monitor.sample"))
    while (event := sub.receive(timeout=GUARD_S)) is not None:
        if event.topic == "monitor.sample":  # zmq's slow joiner: now every topic is live
            return sub
    raise AssertionError("no monitor.sample event: is the core's monitor up?")
_WORDS: Final = (
    "lighthouse", "keeper", "painted", "harbour", "violin", "marathon", "garden", "recipe",
    "mountain", "letter", "river", "winter", "station", "museum", "bicycle", "orchard",
    "telescope", "library", "festival", "ferry", "kitchen", "sparrow", "canyon", "meadow",
    "lantern", "compass", "theatre", "glacier", "bakery", "harvest", "island", "chess",
    "saxophone", "volcano", "pottery", "desert", "subway", "comet", "tailor", "quarry",
    "vineyard", "ballet", "pharmacy", "monsoon",
)


def sentence(rng: random.Random, tag: str) -> str:
    """A unique text of random words: unlike every other, so consolidation leaves it alone."""
    return f"{' '.join(rng.choice(_WORDS) for _ in range(7))} ({tag})"


@final
class Adders:
    """Threads that add memories (single adds and batches of three) until the hub goes away.

    Every acknowledged add goes into the ledger; `wait_for(n)` returns once n adds in all are
    acknowledged, so a caller can kill the hub right at the nth acknowledgement.
    """

    def __init__(self, hub: KillableHub, persona: str, ledger: Ledger, *, seed: int,
                 threads: int = 2, batch_every: int = 4) -> None:
        self._hub, self._persona, self.ledger = hub, persona, ledger
        self._seed, self._batch_every = seed, batch_every
        self._stop = threading.Event()
        self._acked = threading.Condition()
        self.errors: list[str] = []
        self._ended = 0  # threads that stopped adding
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True,
                                          name=f"chaos-adder-{n}") for n in range(threads)]

    def __enter__(self) -> Adders:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(GUARD_S)

    def wait_for(self, acknowledged: int) -> None:
        """Return once the ledger holds `acknowledged` memories (AssertionError on a hang)."""
        with self._acked:
            if not self._acked.wait_for(
                    lambda: len(self.ledger.acknowledged) >= acknowledged
                    or self._ended == len(self._threads),
                    GUARD_S):
                raise AssertionError(f"fewer than {acknowledged} adds acknowledged in "
                                     f"{GUARD_S:g} s")
            if len(self.ledger.acknowledged) < acknowledged:
                raise AssertionError(f"the adders stopped before {acknowledged} adds were "
                                     f"acknowledged: {'; '.join(self.errors)}")

    def _run(self, number: int) -> None:
        rng = random.Random(self._seed * 1000 + number)  # noqa: S311  (test data)
        client = self._hub.client()
        try:
            for count in range(1_000_000):
                if self._stop.is_set():
                    return
                size = 3 if count % self._batch_every == self._batch_every - 1 else 1
                texts = [sentence(rng, f"adder {number}.{count}.{i}") for i in range(size)]
                self.ledger.sending(texts)
                ids = self._add(client, texts)
                with self._acked:
                    self.ledger.acknowledge(ids, texts)
                    self._acked.notify_all()
        except HubError as exc:  # the hub was killed under the call: not acknowledged
            if self._hub.process is not None and self._hub.process.poll() is None:
                self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            client.close()
            with self._acked:
                self._ended += 1
                self._acked.notify_all()

    def _add(self, client: Any, texts: list[str]) -> list[str]:
        if len(texts) == 1:
            return [client.call("memory.add", {"persona": self._persona, "text": texts[0]})["id"]]
        return list(client.call("memory.add_batch", {
            "persona": self._persona, "items": [{"text": t} for t in texts]})["ids"])


@final
class TaskEvents:
    """The core's task events, live before the first is awaited."""

    def __init__(self, hub: KillableHub) -> None:
        from pajamas.rpc import connection  # noqa: PLC0415

        self._sub = Subscriber(connection.read(hub.home), ("task.", "monitor.sample"))
        first = self._sub.receive(timeout=GUARD_S)  # zmq's slow joiner: a sample proves it
        while first is not None and first.topic != "monitor.sample":
            first = self._sub.receive(timeout=GUARD_S)
        if first is None:
            raise AssertionError("no monitor.sample event: is the core's monitor up?")

    def wait(self, task: str, accept: Callable[[Event], bool]) -> Event:
        """The first event of task that accept takes; AssertionError if the task ends first."""
        deadline = time.monotonic() + GUARD_S
        while (event := self._sub.receive(timeout=max(0.0, deadline - time.monotonic()))):
            if event.data.get("id") != task:
                continue
            if accept(event):
                return event
            if event.topic == "task.done":
                raise AssertionError(f"task {task} ended ({event.data.get('state')}) before "
                                     f"the moment chosen: {event.data.get('error')}")
        raise AssertionError(f"no awaited event of task {task} within {GUARD_S:g} s")

    def close(self) -> None:
        """Close the subscription."""
        self._sub.close()
