"""A client written from docs/protocol.md alone (zmq, msgpack and hmac, not pajamas.rpc) talks to
a real core: it pings, lists the methods, and gets every error code that applies."""

from __future__ import annotations

import hashlib
import hmac
import json
import signal
import time
from collections.abc import Iterator
from typing import Any

import msgpack
import pytest
import zmq

from tests.conftest import HELD_S, PATIENCE_S, RunningCore

LIMIT = 64 * 1024  # the test core's max_message_bytes (tests/conftest.py)


class RawClient:
    """The protocol as a third party would write it from docs/protocol.md."""

    def __init__(self, home: Any) -> None:
        info = json.loads((home / "run" / "core.json").read_text())
        self.key = info["key"].encode()
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(info["rpc"])
        self.events = info["events"]

    def sign(self, body: bytes) -> bytes:
        return hmac.new(self.key, body, hashlib.sha256).digest()

    def send_body(self, body: bytes) -> None:
        self.sock.send_multipart([self.sign(body), body])

    def send(self, obj: Any) -> None:
        self.send_body(msgpack.packb(obj, use_bin_type=True))

    def request(self, rid: Any, method: str, params: Any = None) -> None:
        self.send({"v": 1, "id": rid, "method": method, "params": params or {}})

    def recv(self, timeout: float = PATIENCE_S) -> dict[str, Any]:
        assert self.sock.poll(int(timeout * 1000)), "no reply from the core"
        signature, body = self.sock.recv_multipart()
        assert hmac.compare_digest(signature, self.sign(body)), "reply signature is wrong"
        reply: dict[str, Any] = msgpack.unpackb(body, raw=False)
        assert reply["v"] == 1
        assert ("result" in reply) != ("error" in reply), reply
        return reply

    def call(self, rid: Any, method: str, params: Any = None) -> dict[str, Any]:
        self.request(rid, method, params)
        return self.recv()

    def close(self) -> None:
        self.sock.close()
        self.ctx.term()


@pytest.fixture
def raw(core: RunningCore) -> Iterator[RawClient]:
    client = RawClient(core.home)
    yield client
    client.close()


@pytest.fixture
def patient_raw(patient_core: RunningCore) -> Iterator[RawClient]:
    """A raw client of a core where a debug.sleep of HELD_S lasts until the core stops."""
    client = RawClient(patient_core.home)
    yield client
    client.close()


def error_of(reply: dict[str, Any], code: str) -> dict[str, Any]:
    assert "error" in reply, reply
    error: dict[str, Any] = reply["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    assert "Traceback" not in error["message"]
    return error


def test_ping_and_methods(raw: RawClient) -> None:
    reply = raw.call(1, "system.ping")
    assert reply["id"] == 1
    assert reply["result"]["pong"] is True
    assert abs(reply["result"]["time"] - time.time()) < 60
    names = {m["name"]: m["doc"] for m in raw.call("m", "system.methods")["result"]["items"]}
    assert {"system.ping", "system.info", "system.health", "system.methods"} <= set(names)
    assert all(doc for doc in names.values())


def test_info_and_health_shapes(raw: RawClient, core: RunningCore) -> None:
    info = raw.call(2, "system.info")["result"]
    keys = {"version", "protocol", "pid", "uptime_s", "home", "platform", "containment"}
    assert keys <= set(info)
    assert info["pid"] == core.process.pid and info["protocol"] == 1
    assert all(isinstance(v, bool) for v in info["containment"].values())
    health = raw.call(3, "system.health")["result"]
    assert health["status"] in {"ok", "degraded", "failing"}
    assert all(c["status"] in {"ok", "degraded", "failing"} for c in health["checks"].values())


@pytest.mark.parametrize("body", [b"", b"\xc1", b"not msgpack at all \xff\xff",
                                  msgpack.packb([1, 2, 3]), msgpack.packb("text"),
                                  msgpack.packb({"v": 1, "method": "system.ping", "params": {}}),
                                  msgpack.packb({"v": 1, "id": 1.5, "method": "x", "params": {}})])
def test_bad_bodies_are_bad_request_with_null_id(raw: RawClient, body: bytes) -> None:
    raw.send_body(body)
    reply = raw.recv()
    error_of(reply, "bad_request")
    assert reply["id"] is None


@pytest.mark.parametrize(("request_body", "field"), [
    ({"v": 2, "id": 7, "method": "system.ping", "params": {}}, "v"),
    ({"id": 7, "method": "system.ping", "params": {}}, "v"),
    ({"v": 1, "id": 7, "params": {}}, "method"),
    ({"v": 1, "id": 7, "method": 5, "params": {}}, "method"),
    ({"v": 1, "id": 7, "method": "system.ping"}, "params"),
    ({"v": 1, "id": 7, "method": "system.ping", "params": [1]}, "params"),
])
def test_bad_fields_are_bad_request_with_the_id(raw: RawClient, request_body: dict[str, Any],
                                                field: str) -> None:
    raw.send(request_body)
    reply = raw.recv()
    assert error_of(reply, "bad_request")["data"]["field"] == field
    assert reply["id"] == 7


@pytest.mark.parametrize("frames", [[b"only one frame"], [b"a", b"b", b"c"]])
def test_wrong_frame_counts_are_bad_request(raw: RawClient, frames: list[bytes]) -> None:
    raw.sock.send_multipart(frames)
    error_of(raw.recv(), "bad_request")


def test_bad_signature_is_unauthorized_and_does_nothing(raw: RawClient) -> None:
    body = msgpack.packb({"v": 1, "id": 9, "method": "debug.fail", "params": {}})
    raw.sock.send_multipart([b"\0" * 32, body])
    reply = raw.recv()
    error_of(reply, "unauthorized")
    assert reply["id"] is None  # the body was not even read


def test_unknown_method(raw: RawClient) -> None:
    error_of(raw.call("u", "nope.nothing"), "unknown_method")


@pytest.mark.parametrize(("params", "field"), [
    ({"seconds": "long"}, "seconds"), ({}, "seconds"), ({"seconds": 1, "extra": 1}, "extra"),
    ({"seconds": 10**9}, "seconds"), ({"seconds": True}, "seconds"),
])
def test_invalid_params_name_the_field(raw: RawClient, params: dict[str, Any], field: str) -> None:
    error = error_of(raw.call("p", "debug.sleep", params), "invalid_params")
    assert error["data"]["field"] == field


def test_too_large_request(raw: RawClient) -> None:
    error = error_of(raw.call(1, "debug.echo", {"value": "x" * 70_000}), "too_large")
    assert error["message"].startswith("the request is ") and str(LIMIT) in error["message"]
    # Far over the 64 KiB limit is still an answer, not a dropped connection.
    error = error_of(raw.call(3, "debug.echo", {"value": b"z" * 5_000_000}), "too_large")
    assert error["data"]["limit"] == LIMIT and error["data"]["size"] > 5_000_000
    # Under the limit, both ways, is served.
    reply = raw.call(2, "debug.echo", {"value": "y" * 40_000})
    assert reply["result"]["value"] == "y" * 40_000


def test_too_large_reply_is_refused_and_the_core_keeps_serving(raw: RawClient) -> None:
    # msgpack's float32 takes 5 bytes, but the core sends every float back as a float64 of 9:
    # 10,000 of them make a request of about 50 KB and a reply of about 90 KB.
    floats = [0.5] * 10_000
    body = msgpack.packb({"v": 1, "id": 4, "method": "debug.echo", "params": {"value": floats}},
                         use_single_float=True)
    assert len(body) < LIMIT
    raw.send_body(body)
    reply = raw.recv()
    assert reply["id"] == 4
    error = error_of(reply, "too_large")
    assert error["message"].startswith("the reply to debug.echo is "), error
    assert f"over the limit of {LIMIT} bytes" in error["message"]
    assert error["data"]["limit"] == LIMIT and error["data"]["size"] > LIMIT
    assert error["data"]["size"] > len(body)
    assert raw.call(5, "debug.echo", {"value": floats[:100]})["result"]["value"] == floats[:100]
    assert raw.call(6, "system.ping")["result"]["pong"] is True


def test_timeout_internal_and_core_survives(raw: RawClient) -> None:
    # The sleep would outlast the test: only the core's 2 s request timeout can answer it.
    error = error_of(raw.call(1, "debug.sleep", {"seconds": HELD_S}), "timeout")
    assert "debug.sleep" in error["message"] and "request_timeout_s" in error["message"]
    error = error_of(raw.call(2, "debug.fail", {"message": "boom"}), "internal")
    assert "boom" in error["message"]
    assert raw.call(3, "system.ping")["result"]["pong"] is True


def test_busy_when_workers_are_full(patient_raw: RawClient, patient_core: RunningCore) -> None:
    for i in range(12):  # the test core allows 8 pending requests
        patient_raw.request(i, "debug.sleep", {"seconds": HELD_S})
    # The first 8 are held until the core stops, so the first 4 replies are the refusals.
    refused = [patient_raw.recv() for _ in range(4)]
    assert [r["id"] for r in refused] == [8, 9, 10, 11]
    assert all("max_pending_requests" in error_of(r, "busy")["message"] for r in refused)
    assert patient_raw.call("ping", "system.ping")["result"]["pong"] is True
    patient_core.process.send_signal(signal.SIGTERM)  # stopping ends every debug.sleep
    held = [patient_raw.recv() for _ in range(8)]
    assert sorted(r["id"] for r in held) == list(range(8))
    assert all(r["result"] == {"slept": HELD_S} for r in held)


def test_many_in_flight_replies_matched_by_id(patient_raw: RawClient,
                                              patient_core: RunningCore) -> None:
    patient_raw.request("slow", "debug.sleep", {"seconds": HELD_S})  # held until the core stops
    for i in range(50):
        patient_raw.request(i, "system.ping")
    pings = [patient_raw.recv() for _ in range(50)]  # they overtake the slow call
    assert sorted(r["id"] for r in pings) == list(range(50))
    assert all(r["result"]["pong"] is True for r in pings)
    patient_core.process.send_signal(signal.SIGTERM)
    slow = patient_raw.recv()
    assert slow["id"] == "slow" and slow["result"] == {"slept": HELD_S}


def test_events_are_signed(raw: RawClient) -> None:
    sub = raw.ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"monitor.")
    sub.connect(raw.events)
    try:
        assert sub.poll(int(PATIENCE_S * 1000)), "no monitor.sample event"
        topic, signature, body = sub.recv_multipart()
        assert hmac.compare_digest(signature, raw.sign(body))
        event = msgpack.unpackb(body, raw=False)
        assert topic == b"monitor.sample" and event["topic"] == "monitor.sample"
        assert event["v"] == 1 and isinstance(event["time"], float)
        assert event["data"]["core"]["rss"] > 0
    finally:
        sub.close()


def test_garbage_flood_does_not_stop_the_core(raw: RawClient) -> None:
    for i in range(300):
        raw.sock.send_multipart([bytes([i % 256]) * (i % 40)] * (1 + i % 4))
    for _ in range(300):
        raw.recv()
    assert raw.call("after", "system.ping")["result"]["pong"] is True
