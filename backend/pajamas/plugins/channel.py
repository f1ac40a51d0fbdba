"""The private channel between the core and a plugin host: length-prefixed msgpack frames.

A frame is a 4-byte big-endian length followed by that many bytes of msgpack holding a map
with a text member ``t`` (its type).  `encode` and `decode` are inverses; `Channel` reads and
writes whole frames on a connected stream socket.  A malformed frame raises `ChannelError`
naming the offending value.  Frame types (see host/main.py for the host's side):

core → host: ``call`` {fn, args} · ``api_ok`` {value} · ``api_err`` {code, message, data}
host → core: ``ready`` {applied} · ``ok`` {result, cpu} · ``err`` {kind, ...} ·
``api`` {op, args} · ``progress`` {fraction} · ``log`` {level, message}
"""

from __future__ import annotations

import socket
import struct
import threading
from typing import Any, Final, final

import msgpack

HEADER: Final = struct.Struct(">I")
MAX_FRAME: Final = 256 * 1024 * 1024  # the output_kb quota bounds results well below this


class ChannelError(Exception):
    """A frame broke the channel's format, or the peer hung up."""


class ChannelClosed(ChannelError):
    """The peer closed the channel (or died)."""


class FrameTooLarge(ChannelError):
    """A frame's length is over the channel's limit; ``size`` says how long it claimed."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"a frame of {size} bytes is over the limit of {limit}")
        self.size = size


def encode(frame: dict[str, Any]) -> bytes:
    """The bytes of frame on the wire (the inverse of `decode` on the body)."""
    body: bytes = msgpack.packb(frame, use_bin_type=True)
    return HEADER.pack(len(body)) + body


def decode(body: bytes) -> dict[str, Any]:
    """The frame in body (without its length prefix); `ChannelError` if it is not one."""
    try:
        frame = msgpack.unpackb(body, raw=False, strict_map_key=False)
    except Exception as exc:  # msgpack raises several unrelated types
        raise ChannelError(f"a frame is not msgpack: {body[:64]!r}") from exc
    if not isinstance(frame, dict) or not isinstance(frame.get("t"), str):
        raise ChannelError(f"a frame must be a map with a text 't', not {frame!r:.200}")
    return frame


@final
class Channel:
    """Whole frames over a connected stream socket; writes are serialized by a lock."""

    def __init__(self, sock: socket.socket, *, max_frame: int = MAX_FRAME) -> None:
        self.sock = sock
        self.max_frame = max_frame
        self._write = threading.Lock()

    def send(self, frame: dict[str, Any]) -> None:
        """Write one frame."""
        data = encode(frame)
        with self._write:
            self.sock.sendall(data)

    def recv(self) -> dict[str, Any]:
        """Read one frame; `ChannelClosed` at end of stream, `ChannelError` if malformed."""
        size = HEADER.unpack(self._exactly(HEADER.size))[0]
        if size > self.max_frame:
            raise FrameTooLarge(size, self.max_frame)
        return decode(self._exactly(size))

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()

    def _exactly(self, size: int) -> bytes:
        buffer = bytearray()
        while len(buffer) < size:
            chunk = self.sock.recv(size - len(buffer))
            if not chunk:
                raise ChannelClosed("the channel was closed")
            buffer += chunk
        return bytes(buffer)
