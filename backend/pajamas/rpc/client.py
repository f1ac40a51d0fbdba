"""The RPC client every part of the hub uses: CLI, window shell, plugin tests and perf suite.

`Client.call` sends one request and waits for its reply; `submit`/`receive` keep many requests
in flight.  Each thread gets its own DEALER socket (zmq sockets are not thread-safe), so a
client may be shared by threads: replies reach the thread that asked, and a thread's socket is
closed when the thread ends.  A wait notices within a second when the core's process is gone.
`Subscriber` receives events.  Errors the core sends are raised as the matching
`pajamas.errors` class.  A client made with ``retry_busy`` (the CLI's and the window's, through
`connect`) sends a request again when the core answers ``busy``, after the pause the reply
suggests, until the call's timeout: the protocol's "retry later", so a person sees a slower
answer, not an error, when the core sheds a burst.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import zmq

from pajamas.borders import zmq_errors
from pajamas.errors import BadRequest, CoreNotRunning, HubTimeout, from_wire
from pajamas.rpc import connection, protocol
from pajamas.rpc.connection import ConnectionInfo
from pajamas.rpc.protocol import Event, Reply, RequestId

log = logging.getLogger(__name__)
T = TypeVar("T")
_MORE = int(zmq.SNDMORE)  # a plain int: pyzmq's flag enums are slow on the hot path
_ALIVE_CHECK_S = 1.0  # a wait longer than this checks that the core's process still exists
_BUSY_PAUSE_S = (0.01, 1.0)  # a busy retry's pause: the reply's retry_after_ms, within these


class Client:
    """A connection to one core, usable from many threads."""

    def __init__(self, info: ConnectionInfo, *, timeout: float = 30.0, retry_busy: bool = False,
                 context: zmq.Context[zmq.Socket[bytes]] | None = None) -> None:
        self.info = info
        self.timeout = timeout
        self.retry_busy = retry_busy
        self.busy_retries = 0  # requests sent again after a busy reply, for figures
        self._signer = protocol.Signer(info.key_bytes)
        self._ctx = context or zmq.Context.instance()
        self._ids = itertools.count(1)
        self._local = threading.local()
        self._states: weakref.WeakSet[_ThreadState] = weakref.WeakSet()
        self._lock = threading.Lock()

    @classmethod
    def for_home(cls, home: Path, *, timeout: float = 30.0, retry_busy: bool = False) -> Client:
        """A client of the core serving home, from its connection file."""
        return cls(connection.read(home), timeout=timeout, retry_busy=retry_busy)

    def call(self, method: str, params: dict[str, Any] | None = None, *,
             timeout: float | None = None) -> Any:
        """Send one request and return its result, or raise the error the core sent."""
        wait = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        state = self._state()
        busy: Reply | None = None  # the last busy reply, once retrying
        while True:
            rid = self._send(state, method, params)
            try:
                if rid not in state.stash:
                    self._await(state, rid, method, wait, deadline)
            except HubTimeout:
                if busy is None:
                    raise
                return _unwrap(busy)  # the core is busy, not silent: say so
            reply = state.stash.pop(rid)
            pause = self._busy_pause(reply)
            if pause is None or time.monotonic() + pause >= deadline:
                return _unwrap(reply)
            busy = reply
            time.sleep(pause)  # the core asked for it: a retry sooner would be shed again
            self.busy_retries += 1

    def _busy_pause(self, reply: Reply) -> float | None:
        """How long to wait before sending again, if this client retries this reply."""
        if not self.retry_busy or reply.error is None or reply.error.get("code") != "busy":
            return None
        data = reply.error.get("data")
        suggested = data.get("retry_after_ms") if isinstance(data, dict) else None
        low, high = _BUSY_PAUSE_S
        if not isinstance(suggested, int | float) or isinstance(suggested, bool):
            return low
        return min(high, max(low, suggested / 1000))

    def submit(self, method: str, params: dict[str, Any] | None = None) -> RequestId:
        """Send a request without waiting; returns its id for `receive`."""
        return self._send(self._state(), method, params)

    def _await(self, state: _ThreadState, rid: RequestId, method: str, wait: float,
               deadline: float) -> None:
        while rid not in state.stash:
            left = deadline - time.monotonic()
            if left <= 0:
                state.pending.discard(rid)
                raise HubTimeout(f"no reply to {method} within {wait:g} s from the core "
                                 f"(pid {self.info.pid}); is it still running?", method=method)
            if not self._receive_into(state, min(left, _ALIVE_CHECK_S)):
                self._check_alive(state, rid, method)

    def _check_alive(self, state: _ThreadState, rid: RequestId | None, method: str) -> None:
        if not _process_alive(self.info.pid):
            state.pending.discard(rid)
            raise CoreNotRunning(f"the core (pid {self.info.pid}) has stopped; {method} got "
                                 "no reply: start it again with `pajamas core`", method=method)

    def _send(self, state: _ThreadState, method: str, params: dict[str, Any] | None) -> RequestId:
        rid = next(self._ids)
        body = protocol.encode_request(rid, method, params)
        with zmq_errors("sending a request to", self.info.rpc):
            state.socket.send(self._signer.sign(body), _MORE)
            state.socket.send(body)
        state.pending.add(rid)
        return rid

    def receive(self, timeout: float | None = None) -> Reply:
        """The next reply to a request this thread submitted (any order)."""
        state = self._state()
        if state.stash:
            return state.stash.pop(next(iter(state.stash)))
        wait = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        while not state.stash:
            left = deadline - time.monotonic()
            if left <= 0:
                raise HubTimeout(f"no reply within {wait:g} s from the core (pid {self.info.pid})")
            if not self._receive_into(state, min(left, _ALIVE_CHECK_S)):
                self._check_alive(state, None, "a pipelined request")
        return state.stash.pop(next(iter(state.stash)))

    def iter_items(self, method: str, params: dict[str, Any] | None = None, *,
                   page: int = 1000) -> Iterator[Any]:
        """Every item of a paginated list method ({"items", "total"}), page by page."""
        offset = 0
        while True:
            result = self.call(method, {**(params or {}), "offset": offset, "limit": page})
            yield from result["items"]
            offset += len(result["items"])
            if not result["items"] or offset >= result["total"]:
                return

    def close(self) -> None:
        """Close every thread's socket."""
        with self._lock:
            for state in list(self._states):
                state.socket.close(linger=0)
            self._states.clear()
        self._local = threading.local()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _receive_into(self, state: _ThreadState, timeout: float) -> bool:
        """Wait up to timeout for one reply and stash it; False on time-out."""
        # A blocking recv with a receive time-out wakes sooner than Socket.poll, which builds
        # a new Poller at every call: this is the round trip's hot path.
        sock = state.socket
        with zmq_errors("receiving from", self.info.rpc):
            sock.setsockopt(zmq.RCVTIMEO, int(timeout * 1000) + 1)
            try:
                frames = sock.recv_multipart()
            except zmq.Again:  # the time-out passed with nothing to read
                return False
        reply = self._check(frames)
        if reply is not None and reply.id in state.pending:
            state.pending.discard(reply.id)
            state.stash[reply.id] = reply
        elif reply is not None and reply.id is None and reply.error is not None:
            self._rejected(state, reply)
        return True

    @staticmethod
    def _rejected(state: _ThreadState, reply: Reply) -> None:
        """A rejection the core could not tie to an id (a request too large to read, say).

        Each thread has its own socket, so the rejected message is one this thread sent: with
        one request pending it is that one, which fails now instead of at its time-out.
        """
        assert reply.error is not None
        if len(state.pending) == 1:
            rid = state.pending.pop()
            state.stash[rid] = Reply(rid, error=reply.error)
        else:
            log.warning("the core rejected a message: %s", reply.error["message"])

    def _check(self, frames: list[bytes]) -> Reply | None:
        if len(frames) != 2:
            log.warning("dropped a reply of %d frames (expected 2)", len(frames))
            return None
        return _verified(self._signer, frames[0], frames[1], protocol.parse_reply, "reply")

    def _state(self) -> _ThreadState:
        try:
            state: _ThreadState = self._local.state
        except AttributeError:
            sock = self._ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(self.info.rpc)
            state = self._local.state = _ThreadState(sock)
            # When the thread ends, its threading.local entry goes, and with it the socket.
            weakref.finalize(state, sock.close, 0)
            with self._lock:
                self._states.add(state)
        return state


class _ThreadState:
    """One thread's socket, the ids it awaits and the replies that came for them."""

    def __init__(self, socket: zmq.Socket[bytes]) -> None:
        self.socket = socket
        self.pending: set[RequestId | None] = set()
        self.stash: dict[RequestId | None, Reply] = {}


def _verified(signer: protocol.Signer, signature: bytes, body: bytes,
              parse: Callable[[bytes], T], what: str) -> T | None:
    """The parsed body when its signature verifies and it parses; else None, logged."""
    if not signer.verify(signature, body):
        log.warning("dropped a %s that is not signed with this core's key", what)
        return None
    try:
        return parse(body)
    except BadRequest as exc:
        log.warning("dropped a malformed %s: %s", what, exc)
        return None


def _process_alive(pid: int) -> bool:
    """True while pid runs (a zombie, dead but not yet reaped by its parent, does not count)."""
    import psutil  # noqa: PLC0415  (only on a slow wait, never on the hot path)

    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _unwrap(reply: Reply) -> Any:
    if reply.error is not None:
        raise from_wire(reply.error)
    return reply.result


class Subscriber:
    """Receives the core's events whose topic starts with one of `topics`."""

    def __init__(self, info: ConnectionInfo, topics: tuple[str, ...] = ("",),
                 context: zmq.Context[zmq.Socket[bytes]] | None = None) -> None:
        self._signer = protocol.Signer(info.key_bytes)
        self._sock = (context or zmq.Context.instance()).socket(zmq.SUB)
        self._sock.setsockopt(zmq.LINGER, 0)
        for topic in topics:
            self._sock.setsockopt(zmq.SUBSCRIBE, topic.encode())
        self._sock.connect(info.events)

    def receive(self, timeout: float | None = None) -> Event | None:
        """The next well-signed event, or None after timeout seconds (None: wait forever)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self._sock.poll(None if left is None else int(left * 1000) + 1):
                return None
            event = self._check(self._sock.recv_multipart())
            if event is not None:
                return event

    def _check(self, frames: list[bytes]) -> Event | None:
        if len(frames) != 3:
            log.warning("dropped an event of %d frames (expected 3)", len(frames))
            return None
        return _verified(self._signer, frames[1], frames[2], protocol.parse_event, "event")

    def close(self) -> None:
        """Close the socket."""
        self._sock.close(linger=0)


def connect(home: Path, *, timeout: float = 30.0) -> Client:
    """A client of the core for home that answered a ping; `CoreNotRunning` otherwise."""
    client = Client.for_home(home, timeout=timeout, retry_busy=True)
    try:
        client.call("system.ping", timeout=min(timeout, 2.0))
    except HubTimeout:
        client.close()
        raise CoreNotRunning(f"the core of {home} (pid {client.info.pid}) does not answer; "
                             "it may have crashed: start a new one with `pajamas core`",
                             home=str(home)) from None
    return client
