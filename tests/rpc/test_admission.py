"""Admission: a real core sheds requests once the oldest waiting one has waited past
`max_queue_wait_s` (or too many wait), with a pause to retry after, and a client made with
``retry_busy`` retries until the core takes its request."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any, Final

from pajamas.errors import Busy
from pajamas.rpc.client import Client
from pajamas.rpc.protocol import RequestId
from tests.conftest import HELD_S, PATIENCE_S, PATIENT, serving
from tests.rpc.test_conformance import RawClient, error_of

# Both workers of a test core (TEST_SETTINGS) held, a queue that sheds after a millisecond,
# and no count to shed by first.
SHEDDING: Final = {**PATIENT, "PAJAMAS_MAX_QUEUE_WAIT_S": "0.001",
                   "PAJAMAS_MAX_PENDING_REQUESTS": "100000"}
FULL: Final = {**PATIENT, "PAJAMAS_MAX_PENDING_REQUESTS": "2"}  # two held requests fill it
TRIES: Final = 10_000  # short requests sent, 10 ms apart at most, before giving up on a shed one
SHORT_HOLD_S: Final = 3.0
RETRY_FOR_S: Final = 3.0  # a retrying call's timeout against a core that stays full


class CountingClient(Client):
    """A client that counts the requests it sends (retries included)."""

    sends = 0

    def _send(self, *args: Any) -> RequestId:
        self.sends += 1
        return super()._send(*args)


def test_new_requests_are_shed_once_the_oldest_waiting_one_waited_too_long(home: Path) -> None:
    with serving(home, **SHEDDING) as core:
        raw = RawClient(home)
        for rid in range(2):
            raw.request(rid, "debug.sleep", {"seconds": HELD_S})  # until the core stops
        sent, replies = 2, []
        while not replies and sent < TRIES:  # each waits behind the long ones until one is shed
            raw.request(sent, "debug.sleep", {"seconds": 0})
            sent += 1
            if raw.sock.poll(10):
                replies.append(raw.recv())
        assert replies, f"no request was shed in {sent} tries"
        error = error_of(replies[0], "busy")
        assert "max_queue_wait_s" in error["message"], error
        assert isinstance(error["data"]["retry_after_ms"], int)
        assert error["data"]["retry_after_ms"] >= 10
        raw.request("ping", "system.ping")  # answered while requests still wait or are shed
        while (reply := raw.recv())["id"] != "ping":
            replies.append(reply)
        assert reply["result"]["pong"] is True
        core.process.send_signal(signal.SIGTERM)  # ends the sleeps; the core drains the rest
        replies += [raw.recv() for _ in range(sent - len(replies))]
        raw.close()
    by_id = {r["id"]: r for r in replies}
    assert sorted(by_id) == list(range(sent))  # one reply to every request
    assert all(by_id[rid]["result"] == {"slept": HELD_S} for rid in range(2))
    served = [rid for rid in range(2, sent) if "result" in by_id[rid]]
    assert all(by_id[rid]["result"] == {"slept": 0} for rid in served)
    assert all(error_of(by_id[rid], "busy") for rid in set(range(2, sent)) - set(served))


def test_a_retrying_client_gives_up_with_busy_at_its_timeout(home: Path) -> None:
    with serving(home, **FULL) as core:
        raw = RawClient(home)
        for rid in range(2):
            raw.request(rid, "debug.sleep", {"seconds": HELD_S})
        assert error_of(raw.call(2, "debug.sleep", {"seconds": 0}), "busy")  # the core is full
        plain = CountingClient(core.info)
        try:
            raised = _busy(plain, PATIENCE_S)
            assert plain.sends == 1 and "max_pending_requests" in raised.message
        finally:
            plain.close()
        retrying = CountingClient(core.info, retry_busy=True)
        try:
            raised = _busy(retrying, RETRY_FOR_S)
            assert retrying.sends >= 2 and raised.data["retry_after_ms"] >= 10
        finally:
            retrying.close()
        core.process.send_signal(signal.SIGTERM)
        raw.close()


def test_a_retrying_client_gets_its_answer_once_the_core_has_room(home: Path) -> None:
    with serving(home, **FULL) as core:
        raw = RawClient(home)
        for rid in range(2):  # held a few seconds, then the workers are free again
            raw.request(rid, "debug.sleep", {"seconds": SHORT_HOLD_S})
        assert error_of(raw.call(2, "debug.sleep", {"seconds": 0}), "busy")
        client = CountingClient(core.info, retry_busy=True, timeout=PATIENCE_S)
        try:
            assert client.call("debug.sleep", {"seconds": 0}) == {"slept": 0}
            assert client.sends >= 2  # shed at first, then taken
        finally:
            client.close()
        assert sorted(raw.recv()["id"] for _ in range(2)) == [0, 1]
        raw.close()


def _busy(client: Client, timeout: float) -> Busy:
    try:
        client.call("debug.sleep", {"seconds": 0}, timeout=timeout)
    except Busy as exc:
        return exc
    raise AssertionError("the full core answered")
