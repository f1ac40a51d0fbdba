"""The wire format of protocol version 1: signing, the msgpack codec, and the three envelopes.

This module alone knows how bytes on the socket map to requests, replies and events
(docs/protocol.md).  ``pack``/``unpack`` are inverses for every msgpack value; the ``encode_*``
functions build bodies and the ``parse_*`` functions read them back, raising `BadRequest` (with
the offending value in the message) on anything malformed.

The HMAC key is the connection file's ``key`` string taken as UTF-8 bytes (the 64 hex
characters themselves, as Jupyter's connection files do), not the 32 bytes they spell.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any, Final

import msgpack

from pajamas import PROTOCOL_VERSION
from pajamas.errors import BadRequest, HubError, WireError

SIGNATURE_BYTES: Final = 32
_DIGEST: Final = "sha256"

RequestId = int | str


def sign(key: bytes, body: bytes) -> bytes:
    """HMAC-SHA256 of the body: the 32 raw bytes of frame 0."""
    return hmac.digest(key, body, _DIGEST)


def verify(key: bytes, signature: bytes, body: bytes) -> bool:
    """True when the signature is the body's HMAC under key (constant-time compare)."""
    return len(signature) == SIGNATURE_BYTES and hmac.compare_digest(sign(key, body), signature)


class Signer:
    """`sign` and `verify` for one key, at half their cost: on every message of the hot path.

    HMAC(key, m) = H(key ^ opad, H(key ^ ipad, m)) (RFC 2104); the two keyed SHA-256 states
    are computed once and copied per message, instead of re-keying OpenSSL's HMAC each time.
    """

    def __init__(self, key: bytes) -> None:
        block = hashlib.sha256().block_size
        padded = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))

    def sign(self, body: bytes) -> bytes:
        """HMAC-SHA256 of the body under this signer's key."""
        inner = self._inner.copy()
        inner.update(body)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def verify(self, signature: bytes, body: bytes) -> bool:
        """True when the signature is the body's HMAC (constant-time compare)."""
        return len(signature) == SIGNATURE_BYTES and hmac.compare_digest(self.sign(body),
                                                                         signature)


def pack(value: Any) -> bytes:
    """A msgpack body (str as str, bytes as bin); the inverse of `unpack`."""
    body: bytes = msgpack.packb(value, use_bin_type=True)
    return body


def unpack(body: bytes) -> Any:
    """The value of a msgpack body; raises `BadRequest` naming what was wrong."""
    try:
        return msgpack.unpackb(body, raw=False)
    except Exception as exc:  # msgpack raises several unrelated classes for bad input
        raise BadRequest(f"body is not valid msgpack ({_preview(body)}): {exc}") from None


@dataclass(frozen=True, slots=True)
class Request:
    """A decoded request body."""

    id: RequestId
    method: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Reply:
    """A decoded reply body: exactly one of ``result`` and ``error`` is meaningful."""

    id: RequestId | None
    result: Any = None
    error: WireError | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """A decoded event."""

    topic: str
    time: float
    data: Any


class Rejected(Exception):
    """A request body that cannot be served, with the request's id when it could be read."""

    def __init__(self, error: HubError, request_id: RequestId | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.request_id = request_id


def encode_request(request_id: RequestId, method: str, params: dict[str, Any] | None) -> bytes:
    """The body of a request; the inverse of `parse_request`."""
    return pack({"v": PROTOCOL_VERSION, "id": request_id, "method": method, "params": params or {}})


def parse_request(body: bytes) -> Request:
    """Decode and check a request body; raises `Rejected` carrying the id when it was readable."""
    try:
        obj = unpack(body)
    except BadRequest as exc:
        raise Rejected(exc, None) from None
    if not isinstance(obj, dict):
        kind = type(obj).__name__
        raise Rejected(BadRequest(f"body must be a map, not {kind}: {obj!r:.80}"), None)
    rid = obj.get("id")
    if not (type(rid) is int or type(rid) is str):
        error = BadRequest(f"'id' must be an int or a str, not {rid!r:.80}", field="id")
        raise Rejected(error, None)
    _check_request_fields(obj, rid)
    return Request(rid, obj["method"], obj["params"])


def _check_request_fields(obj: dict[Any, Any], rid: RequestId) -> None:
    v = obj.get("v")
    if type(v) is not int:
        raise Rejected(BadRequest(f"'v' must be the protocol version (an int), not {v!r:.80}",
                                  field="v"), rid)
    if v != PROTOCOL_VERSION:
        raise Rejected(BadRequest(f"protocol version {v} is not supported; this core speaks "
                                  f"version {PROTOCOL_VERSION}", field="v"), rid)
    if not isinstance(obj.get("method"), str):
        raise Rejected(BadRequest(f"'method' must be a str, not {obj.get('method')!r:.80}",
                                  field="method"), rid)
    if not isinstance(obj.get("params"), dict):
        raise Rejected(BadRequest(f"'params' must be a map, not {obj.get('params')!r:.80}",
                                  field="params"), rid)


def encode_result(request_id: RequestId, result: Any) -> bytes:
    """The body of a successful reply; raises TypeError for a value msgpack cannot carry."""
    return pack({"v": PROTOCOL_VERSION, "id": request_id, "result": result})


def encode_error(request_id: RequestId | None, error: WireError) -> bytes:
    """The body of an error reply."""
    return pack({"v": PROTOCOL_VERSION, "id": request_id, "error": dict(error)})


def parse_reply(body: bytes) -> Reply:
    """Decode a reply body; the inverse of `encode_result` and `encode_error`."""
    obj = unpack(body)
    if not isinstance(obj, dict) or obj.get("v") != PROTOCOL_VERSION:
        raise BadRequest(f"reply must be a version-{PROTOCOL_VERSION} map: {obj!r:.80}")
    if "error" in obj:
        error = obj["error"]
        if not isinstance(error, dict) or not isinstance(error.get("code"), str):
            raise BadRequest(f"reply's error must be a map with a code: {error!r:.80}")
        return Reply(obj.get("id"), error=WireError(
            code=error["code"], message=str(error.get("message", "")), data=error.get("data")))
    if "result" not in obj:
        raise BadRequest(f"reply has neither result nor error: {obj!r:.80}")
    return Reply(obj.get("id"), result=obj["result"])


def encode_event(topic: str, data: Any, at: float | None = None) -> bytes:
    """The body of an event (frame 2)."""
    stamp = time.time() if at is None else at
    return pack({"v": PROTOCOL_VERSION, "topic": topic, "time": stamp, "data": data})


def parse_event(body: bytes) -> Event:
    """Decode an event body; the inverse of `encode_event`."""
    obj = unpack(body)
    if not isinstance(obj, dict) or not isinstance(obj.get("topic"), str):
        raise BadRequest(f"event must be a map with a topic: {obj!r:.80}")
    return Event(obj["topic"], float(obj.get("time", 0.0)), obj.get("data"))


def _preview(body: bytes, limit: int = 24) -> str:
    head = body[:limit].hex()
    return f"{len(body)} bytes, starting {head}" if body else "empty"
