"""The wire format's codec and envelopes: inverses, and precise rejections."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pajamas.errors import BadRequest
from pajamas.rpc import protocol

msgpack_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False)
    | st.text() | st.binary(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=20,
)
request_ids = st.integers(-(2**63), 2**63 - 1) | st.text()


@given(msgpack_values)
def test_pack_unpack_are_inverses(value: Any) -> None:
    assert protocol.unpack(protocol.pack(value)) == value


@given(request_ids, st.text(min_size=1), st.dictionaries(st.text(), msgpack_values, max_size=4))
def test_request_roundtrip(rid: Any, method: str, params: dict[str, Any]) -> None:
    parsed = protocol.parse_request(protocol.encode_request(rid, method, params))
    assert (parsed.id, parsed.method, parsed.params) == (rid, method, params)


@given(request_ids, msgpack_values)
def test_reply_roundtrip(rid: Any, result: Any) -> None:
    reply = protocol.parse_reply(protocol.encode_result(rid, result))
    assert (reply.id, reply.result, reply.error) == (rid, result, None)


@given(st.binary(min_size=1), st.binary())
def test_signatures_verify_only_under_the_key(key: bytes, body: bytes) -> None:
    signature = protocol.sign(key, body)
    assert len(signature) == protocol.SIGNATURE_BYTES
    assert protocol.verify(key, signature, body)
    assert not protocol.verify(key + b"x", signature, body)
    assert not protocol.verify(key, signature[:-1], body)


@given(st.binary(max_size=64))
def test_arbitrary_bytes_never_crash_the_parser(body: bytes) -> None:
    try:
        protocol.parse_request(body)
    except protocol.Rejected as exc:
        assert isinstance(exc.error, BadRequest)


def test_rejection_names_the_offending_value() -> None:
    with pytest.raises(protocol.Rejected) as info:
        protocol.parse_request(protocol.pack({"v": 1, "id": True, "method": "m", "params": {}}))
    assert "True" in info.value.error.message and info.value.request_id is None


def test_event_roundtrip() -> None:
    event = protocol.parse_event(protocol.encode_event("task.done", {"id": 3}, at=12.5))
    assert (event.topic, event.time, event.data) == ("task.done", 12.5, {"id": 3})


@given(st.binary(max_size=200), st.binary())
def test_signer_agrees_with_hmac(key: bytes, body: bytes) -> None:
    signer = protocol.Signer(key)
    assert signer.sign(body) == protocol.sign(key, body)
    assert signer.verify(protocol.sign(key, body), body)
    assert not signer.verify(protocol.sign(key + b"!", body), body)
