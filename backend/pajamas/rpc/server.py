"""The core's RPC server: a ROUTER for requests, a PUB for events, one loop thread, workers.

One thread (the loop) owns both sockets.  It checks every message (frame count, size,
signature, body, method, params) and answers fast ``inline`` methods itself; every other method
runs on a worker thread, whose reply comes back to the loop through an inproc socket, so slow
work never delays a ping.  The loop answers ``timeout`` for work that overruns its deadline,
``busy`` when requests would wait too long for a worker or too many wait (admission.py), and
drains in-flight work when the server stops.  Its reads and writes keep the GIL
(held_socket.py), and its workers run at a lower priority than it (priority.py): under
overload, it is not kept waiting by the work it hands out.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

import zmq

from pajamas.borders import zmq_errors
from pajamas.errors import (
    BadRequest,
    Busy,
    HubError,
    HubTimeout,
    Internal,
    TooLarge,
    Unauthorized,
)
from pajamas.rpc import protocol
from pajamas.rpc.admission import Admission
from pajamas.rpc.held_socket import held
from pajamas.rpc.methods import Method, Registry
from pajamas.rpc.priority import below_the_loop
from pajamas.rpc.protocol import RequestId
from pajamas.rpc.stats import RequestStats

log = logging.getLogger(__name__)

_REPLY: Final = b"R"
_EVENT: Final = b"E"
_STOP: Final = b"S"
_BATCH: Final = 256  # messages read per wake-up before the loop looks at its inbox again
_HARD_CAP_FLOOR: Final = 256 * 1024 * 1024
#: Replies a client may leave unread before zmq drops the next ones.  Its default, 1,000,
#: silently lost the `busy` answers to a client that sent a burst before reading any: every
#: request must get its one reply.  A busy reply is ~100 bytes, so this holds ~10 MB at most.
REPLY_BACKLOG: Final = 100_000
_STALE_DEADLINES: Final = 1024  # answered requests' deadlines kept before the heap is rebuilt
_inbox_ids = itertools.count()
_now_ns: Final = time.perf_counter_ns  # a module global: one lookup less per request


@dataclass(frozen=True)
class ServerLimits:
    """The limits the server enforces (from settings)."""

    max_message_bytes: int = 16 * 1024 * 1024
    workers: int = 4
    max_pending_requests: int = 512
    max_queue_wait_s: float = 0.5
    request_timeout_s: float = 60.0


@dataclass
class _InFlight:
    route: list[bytes]
    request_id: RequestId
    method: str
    deadline: float
    arrived_ns: int
    started: bool = False  # set by the worker that runs it


class RpcServer:
    """Serves a `Registry` on a ROUTER socket and publishes events on a PUB socket."""

    def __init__(self, registry: Registry, key: bytes, limits: ServerLimits,
                 context: zmq.Context[zmq.Socket[bytes]] | None = None) -> None:
        self.registry = registry
        self.limits = limits
        self._signer = protocol.Signer(key)
        self._ctx = context or zmq.Context.instance()
        self._router = self._ctx.socket(zmq.ROUTER)
        self._pub = self._ctx.socket(zmq.PUB)
        # A hard cap far above the soft limit, against runaway memory: zmq drops a peer that
        # sends more instead of buffering it.  Anything between the two gets too_large.
        self._router.setsockopt(zmq.MAXMSGSIZE, hard_message_cap(limits.max_message_bytes))
        self._router.setsockopt(zmq.SNDHWM, REPLY_BACKLOG)
        self._held = held(self._router)  # the loop's calls on it, keeping the GIL
        inbox = f"inproc://pajamas-inbox-{next(_inbox_ids)}"
        self._inbox = self._ctx.socket(zmq.PULL)
        self._inbox.bind(inbox)
        self._outbox = self._ctx.socket(zmq.PUSH)
        self._outbox.connect(inbox)
        self._held_inbox = held(self._inbox)
        self._outbox_lock = threading.Lock()
        self._workers = ThreadPoolExecutor(limits.workers, thread_name_prefix="pajamas-worker",
                                           initializer=below_the_loop)
        self._inflight: dict[int, _InFlight] = {}
        self._deadlines: list[tuple[float, int]] = []
        self._admission = Admission(limits.max_queue_wait_s, limits.max_pending_requests)
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None
        self._draining = threading.Event()
        self._bad_input = _RateLimitedLog()
        self.requests_served = 0
        self.stats = RequestStats()  # answered requests and their latencies, for the monitor

    def bind(self, rpc: str, events: str) -> tuple[str, str]:
        """Bind both sockets; returns the endpoints clients use (tcp ports resolved)."""
        for sock, endpoint in ((self._router, rpc), (self._pub, events)):
            sock.setsockopt(zmq.LINGER, 500)
            with zmq_errors("binding", endpoint):
                sock.bind(endpoint)
        return (self._router.getsockopt_string(zmq.LAST_ENDPOINT),
                self._pub.getsockopt_string(zmq.LAST_ENDPOINT))

    def start(self) -> None:
        """Run the loop on its own thread."""
        self._thread = threading.Thread(target=self._loop, name="pajamas-rpc", daemon=True)
        self._thread.start()

    def publish(self, topic: str, data: Any) -> None:
        """Send an event to subscribers; safe from any thread."""
        body = protocol.encode_event(topic, data)
        self._to_loop([_EVENT, topic.encode(), self._signer.sign(body), body])

    def stop(self, timeout: float) -> bool:
        """Refuse new work, wait up to timeout for in-flight replies, stop; True if all went out."""
        self._draining.set()
        deadline = time.monotonic() + timeout
        while self._inflight and time.monotonic() < deadline:
            time.sleep(0.01)
        drained = not self._inflight
        self._to_loop([_STOP])
        if self._thread is not None:
            self._thread.join(timeout=max(1.0, deadline - time.monotonic()))
        self._workers.shutdown(wait=False, cancel_futures=True)
        for sock in (self._router, self._pub, self._inbox, self._outbox):
            sock.close(linger=200)
        return drained

    @property
    def loop_thread(self) -> int | None:
        """The loop thread's native id once started."""
        return None if self._thread is None else self._thread.native_id

    @property
    def pending(self) -> int:
        """Requests handed to workers and not yet answered."""
        return len(self._inflight)

    # -- the loop -------------------------------------------------------------------------

    def _loop(self) -> None:
        poller = zmq.Poller()
        poller.register(self._router, zmq.POLLIN)
        poller.register(self._inbox, zmq.POLLIN)
        while True:
            for sock, _ in poller.poll(self._poll_timeout_ms()):
                if sock is self._router:
                    self._drain_router()
                elif self._drain_inbox():
                    return
            if self._deadlines:
                self._expire(time.monotonic())

    def _poll_timeout_ms(self) -> int | None:
        if not self._deadlines:
            return None
        return max(0, int((self._deadlines[0][0] - time.monotonic()) * 1000) + 1)

    def _drain_router(self) -> None:
        held = self._held
        for _ in range(_BATCH):
            frames = held.recv_multipart()
            if frames is None:
                return
            self._handle(frames)

    def _drain_inbox(self) -> bool:
        """Forward worker replies and events; True when told to stop."""
        inbox = self._held_inbox
        for _ in range(_BATCH):
            frames = inbox.recv_multipart()
            if frames is None:
                return False
            kind = frames[0]
            if kind == _STOP:
                return True
            if kind == _EVENT:
                self._pub.send_multipart(frames[1:])
            elif kind == _REPLY:
                self._deliver(int(frames[1]), frames[2])
        return False

    def _deliver(self, token: int, body: bytes) -> None:
        entry = self._inflight.pop(token, None)
        now = _now_ns()
        self._admission.done(now)
        if entry is not None:  # else it timed out already and the caller was told so
            self._send(entry.route, body)
            self.stats.record(now - entry.arrived_ns)
            if len(self._deadlines) > 2 * len(self._inflight) + _STALE_DEADLINES:
                self._compact_deadlines()

    def _compact_deadlines(self) -> None:
        """Forget the deadlines of answered requests.

        Without this they stay in the heap until they expire, request_timeout_s later: at a
        few thousand requests a second, megabytes that the soak benchmark saw as growth.
        """
        self._deadlines = [(e.deadline, token) for token, e in self._inflight.items()]
        heapq.heapify(self._deadlines)

    def _expire(self, now: float) -> None:
        while self._deadlines and self._deadlines[0][0] <= now:
            _, token = heapq.heappop(self._deadlines)
            entry = self._inflight.pop(token, None)
            if entry is not None:
                error = HubTimeout(
                    f"{entry.method} did not finish within {self.limits.request_timeout_s:g} s "
                    "(setting request_timeout_s)", method=entry.method)
                self._send(entry.route, protocol.encode_error(entry.request_id, error.to_wire()))

    # -- one message ----------------------------------------------------------------------

    def _handle(self, frames: list[bytes]) -> None:
        arrived = _now_ns()
        route, payload = _split_route(frames)
        if len(payload) != 2:
            self._reject(route, None, BadRequest(
                f"a request has 2 frames (signature, body) after the routing id, not "
                f"{len(payload)}"))
            return
        signature, body = payload
        if len(body) > self.limits.max_message_bytes:
            self._reject(route, None, TooLarge("the request", size=len(body),
                                               limit=self.limits.max_message_bytes))
            return
        if not self._signer.verify(signature, body):
            self._reject(route, None, Unauthorized(
                "the signature does not verify: sign the body with HMAC-SHA256 under the key "
                "in the connection file"))
            return
        self._dispatch(route, body, arrived)

    def _dispatch(self, route: list[bytes], body: bytes, arrived: int) -> None:
        try:
            request = protocol.parse_request(body)
        except protocol.Rejected as exc:
            self._reject(route, exc.request_id, exc.error)
            return
        try:
            method = self.registry.get(request.method)
            kwargs = method.bind(request.params)
        except HubError as exc:
            self._reject(route, request.id, exc)
            return
        self.requests_served += 1
        if method.inline:
            self._send(route, self._invoke(method, request.id, kwargs))
            self.stats.record(_now_ns() - arrived)
        else:
            self._submit(route, request.id, method, kwargs, arrived)

    def _submit(self, route: list[bytes], rid: RequestId, method: Method,
                kwargs: dict[str, Any], arrived: int) -> None:
        refusal = (Busy("the core is shutting down; retry with the next core")
                   if self._draining.is_set()
                   else self._admission.refusal(arrived, len(self._inflight)))
        if refusal is not None:
            self._reject(route, rid, refusal)
            return
        token = next(self._tokens)
        deadline = time.monotonic() + self.limits.request_timeout_s
        entry = _InFlight(route, rid, method.name, deadline, arrived)
        self._inflight[token] = entry
        self._admission.admitted(entry)
        heapq.heappush(self._deadlines, (deadline, token))
        self._workers.submit(self._work, token, entry, method, kwargs)

    def _work(self, token: int, entry: _InFlight, method: Method,
              kwargs: dict[str, Any]) -> None:
        entry.started = True
        body = self._invoke(method, entry.request_id, kwargs)
        self._to_loop([_REPLY, str(token).encode(), body])

    def _invoke(self, method: Method, rid: RequestId, kwargs: dict[str, Any]) -> bytes:
        """Run the method and encode its reply; never raises."""
        try:
            body = protocol.encode_result(rid, method.func(**kwargs))
        except HubError as exc:
            return protocol.encode_error(rid, exc.to_wire())
        except Exception as exc:  # the border: a bug in a method must not reach the client raw
            log.exception("method %s failed", method.name)
            error: HubError = Internal(f"{method.name} failed: {type(exc).__name__}: {exc} "
                             "(the core's log has the traceback)", method=method.name)
            return protocol.encode_error(rid, error.to_wire())
        if len(body) > self.limits.max_message_bytes:
            error = TooLarge(f"the reply to {method.name}", size=len(body),
                             limit=self.limits.max_message_bytes)
            return protocol.encode_error(rid, error.to_wire())
        return body

    def _reject(self, route: list[bytes], rid: RequestId | None, error: HubError) -> None:
        self._bad_input.warn(error.code, "rejected a message: %s", error.message)
        self._send(route, protocol.encode_error(rid, error.to_wire()))

    def _send(self, route: list[bytes], body: bytes) -> None:
        try:
            self._held.send_multipart([*route, self._signer.sign(body), body])
        except zmq.ZMQError as exc:  # the peer is gone or not reading: its loss, not ours
            self._bad_input.warn("send", "could not reply to a client: %s", exc)

    def _to_loop(self, frames: list[bytes]) -> None:
        with self._outbox_lock:
            self._outbox.send_multipart(frames)


def hard_message_cap(max_message_bytes: int) -> int:
    """The size past which zmq drops the sender: 4x the limit, and never under 256 MiB."""
    return max(4 * max_message_bytes, _HARD_CAP_FLOOR) + 4096


def _split_route(frames: list[bytes]) -> tuple[list[bytes], list[bytes]]:
    """(routing frames, payload): clients are DEALERs, so the route is the one identity frame."""
    return frames[:1], frames[1:]


class _RateLimitedLog:
    """Logs bad input at most `burst` times per `window_s` per kind, then counts the rest."""

    def __init__(self, burst: int = 10, window_s: float = 10.0) -> None:
        self.burst, self.window_s = burst, window_s
        self._windows: dict[str, tuple[float, int]] = {}

    def warn(self, kind: str, fmt: str, *args: object) -> None:
        now = time.monotonic()
        start, count = self._windows.get(kind, (now, 0))
        if now - start > self.window_s:
            if count > self.burst:
                log.warning("%d more %s messages were not logged", count - self.burst, kind)
            start, count = now, 0
        self._windows[kind] = (start, count + 1)
        if count < self.burst:
            log.warning(fmt, *args)
