"""Non-blocking sends and receives that keep the GIL, for the request loop's ROUTER socket.

pyzmq lets go of the GIL around every `zmq_msg_send` and `zmq_msg_recv`, even one that cannot
block.  The loop answers pings and `busy` itself, and each request it reads and answers makes
7 such calls.  Under load, a worker takes the GIL at each of them, and the loop waits for it
back: a switch interval, or longer when that worker is itself waiting for a core.  In an
overload at half scale, those calls took 20-40 µs at p50 but 2.9 ms (recv) and 3.4 ms
(send) at p99.  Called through `ctypes.PyDLL`, which keeps the GIL, they took 0.18 and
0.97 ms at p99.  Only the poll, which does block, still lets go.

The calls go to the libzmq that pyzmq itself loaded, found in the process's own mappings
(Linux). A second copy of libzmq must not touch a socket of the first.  Elsewhere, or if
that library cannot be found, `held` returns pyzmq's own calls, which behave the same.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import logging
import sys
from pathlib import Path
from typing import Final, Protocol

import zmq

log = logging.getLogger(__name__)

_DONTWAIT: Final = int(zmq.DONTWAIT)
_MORE: Final = int(zmq.SNDMORE) | _DONTWAIT
_MSG_WORDS: Final = 8  # zmq_msg_t is 64 bytes, 8-byte aligned
_MAPS: Final = Path("/proc/self/maps")


class LoopSocket(Protocol):
    """The two calls the loop makes on its ROUTER between polls."""

    def recv_multipart(self) -> list[bytes] | None:
        """The next whole message, or None when none waits."""

    def send_multipart(self, frames: list[bytes]) -> None:
        """Queue frames as one message; `zmq.ZMQError` when it cannot (never blocks)."""


class PyzmqSocket:
    """pyzmq's own calls (they let go of the GIL)."""

    def __init__(self, sock: zmq.Socket[bytes]) -> None:
        self._sock = sock

    def recv_multipart(self) -> list[bytes] | None:
        """See `LoopSocket`."""
        try:
            return self._sock.recv_multipart(_DONTWAIT)
        except zmq.Again:
            return None

    def send_multipart(self, frames: list[bytes]) -> None:
        """See `LoopSocket`."""
        sock, last = self._sock, len(frames) - 1
        for n, frame in enumerate(frames):
            sock.send(frame, _MORE if n < last else _DONTWAIT)


class HeldSocket:
    """libzmq's calls on sock's handle through `ctypes.PyDLL`: the GIL is kept throughout."""

    def __init__(self, sock: zmq.Socket[bytes], lib: ctypes.PyDLL) -> None:
        self._sock = sock  # kept: the handle lives as long as the pyzmq socket
        self._handle = ctypes.c_void_p(sock.underlying)
        self._lib = lib
        self._msg = (ctypes.c_uint64 * _MSG_WORDS)()

    def recv_multipart(self) -> list[bytes] | None:
        """See `LoopSocket`."""
        lib, msg, handle = self._lib, self._msg, self._handle
        frames: list[bytes] = []
        lib.zmq_msg_init(msg)  # each receive below releases what the one before held
        try:
            while True:
                if lib.zmq_msg_recv(msg, handle, _DONTWAIT) < 0:
                    code = lib.zmq_errno()
                    if code == errno.EAGAIN and not frames:
                        return None
                    raise zmq.ZMQError(code)  # zmq delivers a message whole or not at all
                size = lib.zmq_msg_size(msg)
                frames.append(ctypes.string_at(lib.zmq_msg_data(msg), size) if size else b"")
                if not lib.zmq_msg_more(msg):
                    return frames
        finally:
            lib.zmq_msg_close(msg)

    def send_multipart(self, frames: list[bytes]) -> None:
        """See `LoopSocket`."""
        lib, handle, last = self._lib, self._handle, len(frames) - 1
        for n, frame in enumerate(frames):
            if lib.zmq_send(handle, frame, len(frame), _MORE if n < last else _DONTWAIT) < 0:
                raise zmq.ZMQError(lib.zmq_errno())


def held(sock: zmq.Socket[bytes]) -> LoopSocket:
    """sock's non-blocking calls, keeping the GIL where pyzmq's libzmq can be found."""
    lib = pyzmq_libzmq()
    return PyzmqSocket(sock) if lib is None else HeldSocket(sock, lib)


@functools.cache  # one look at the process's mappings, for every socket
def pyzmq_libzmq() -> ctypes.PyDLL | None:
    """The libzmq pyzmq loaded, opened to keep the GIL in calls; None if it cannot be told."""
    path = _mapped_libzmq()
    if path is None:
        return None
    try:
        lib = ctypes.PyDLL(path)
    except OSError as exc:
        log.debug("could not open %s: %s", path, exc)
        return None
    _declare(lib)
    major, minor, patch = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
    lib.zmq_version(ctypes.byref(major), ctypes.byref(minor), ctypes.byref(patch))
    if (major.value, minor.value, patch.value) != zmq.zmq_version_info():
        log.debug("%s is not the libzmq pyzmq uses", path)
        return None
    return lib


def _mapped_libzmq() -> str | None:
    """The path of the one libzmq mapped into this process (Linux), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        maps = _MAPS.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    paths = {line.split(maxsplit=5)[-1] for line in maps.splitlines()
             if "libzmq" in line and line.count(" ") >= 5}
    return paths.pop() if len(paths) == 1 else None


def _declare(lib: ctypes.PyDLL) -> None:
    void_p, c_int = ctypes.c_void_p, ctypes.c_int
    lib.zmq_send.argtypes = [void_p, ctypes.c_char_p, ctypes.c_size_t, c_int]
    lib.zmq_send.restype = c_int
    lib.zmq_msg_init.argtypes = [void_p]
    lib.zmq_msg_recv.argtypes = [void_p, void_p, c_int]
    lib.zmq_msg_recv.restype = c_int
    lib.zmq_msg_data.argtypes = [void_p]
    lib.zmq_msg_data.restype = void_p
    lib.zmq_msg_size.argtypes = [void_p]
    lib.zmq_msg_size.restype = ctypes.c_size_t
    lib.zmq_msg_more.argtypes = [void_p]
    lib.zmq_msg_close.argtypes = [void_p]
    lib.zmq_errno.restype = c_int
