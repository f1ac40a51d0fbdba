"""The home's core, found or started on a thread of its own, and found or started again.

Starting Qt WebEngine and starting the core each take a few hundred milliseconds; doing them
side by side is most of what makes the window show live data quickly.  Until the core answers,
calls wait for it (up to the start timeout) instead of failing.

The same thread then watches the core: when it dies or is restarted (`system.restart`, a crash,
`kill`), the link reads the home's connection file again — a new core means a new file and a
new key — connecting to the core that serves the home now, or starting one.  Calls made
meanwhile wait for it; `on_state` hears each change ("connected", "reconnecting",
"disconnected") so the window can say so, and `generation` tells the event forwarder to
subscribe again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Final, final

import psutil

from pajamas.errors import CoreNotRunning, HubError, HubTimeout
from pajamas.launcher import CoreHandle, ensure_core, stop_core
from pajamas.rpc.client import Client, Subscriber

log = logging.getLogger(__name__)
# ensure_core enforces the start timeout itself; this margin covers its final ping.
_WAIT_MARGIN_S: Final = 5.0
# monitor.watch waits for the monitor's start-up stage, which can take a while on a busy machine.
_WATCH_TIMEOUT_S: Final = 15.0
# The warm-up's patience for the plugin runtime to come up after the core answers (it takes
# about 0.15 s), and how often it asks meanwhile.
_WARM_S: Final = 10.0
_WARM_POLL_S: Final = 0.05
# How often the link looks at the core's process (a waitpid or a /proc read: cheap).
CHECK_INTERVAL_S: Final = 0.5
# After a failed start, the next try waits this long, doubling up to the cap.
_RETRY_S: Final = 1.0
_RETRY_CAP_S: Final = 15.0

#: Hears (state, message): "connected" (message: the core's pid), "reconnecting", "disconnected".
StateListener = Callable[[str, str], None]


def _ignore(state: str, message: str) -> None:
    """The default listener."""


@final
class CoreLink:
    """A `CoreHandle` that arrives later and is replaced when its core goes away.

    `close` stops the core only if this process started it.
    """

    def __init__(self, home: Path, start_timeout: float, *,
                 check_interval_s: float = CHECK_INTERVAL_S,
                 on_state: StateListener = _ignore) -> None:
        self.home = home
        self._timeout = start_timeout
        self._interval = check_interval_s
        self.on_state = on_state
        self._changed = threading.Condition()
        self._future: Future[CoreHandle] = Future()
        self.generation = 0  # bumped each time the handle is replaced
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pajamas-core-link", daemon=True)

    def start(self) -> None:
        """Begin finding or starting the core, then watching it."""
        self._thread.start()

    def handle(self) -> CoreHandle:
        """The handle once the core answers; raises the `HubError` that kept it from starting."""
        with self._changed:
            future = self._future
        return self._result(future)

    def client(self) -> Client:
        """The client of the core, waiting for it to start or to be replaced if it stopped."""
        with self._changed:
            future = self._future
        handle = self._result(future)
        if running(handle):
            return handle.client
        self._wake.set()  # the watcher replaces it now, not at its next look
        with self._changed:
            self._changed.wait_for(lambda: self._future is not future or self._stopping.is_set(),
                                   self._timeout + _WAIT_MARGIN_S)
            replaced = self._future is not future
            future = self._future
        if not replaced:
            raise CoreNotRunning(f"the core of {self.home} (pid {handle.client.info.pid}) has "
                                 "stopped and no new one answers yet; the window keeps trying",
                                 home=str(self.home))
        return self._result(future).client

    def subscriber(self) -> Subscriber:
        """A new subscriber to every event of the current core (waits for it to start)."""
        return Subscriber(self.client().info)

    def close(self, *, close_client: bool = True) -> None:
        """Stop watching, and stop the core if this process started it (even while starting).

        `close_client=False` leaves the client's sockets to the process's exit: zmq sockets
        must not be closed while other threads still wait on them.
        """
        if self._thread.ident is None:  # never started
            return
        self._stopping.set()
        self._wake.set()
        self._thread.join()  # a core still starting must not be left running
        with self._changed:
            future = self._future
            self._changed.notify_all()
        if not future.done() or future.exception() is not None:
            return
        handle = future.result()
        if close_client:
            handle.close()
        elif handle.process is not None:
            stop_core(handle.process)

    def _result(self, future: Future[CoreHandle]) -> CoreHandle:
        wait = self._timeout + _WAIT_MARGIN_S
        try:
            return future.result(wait)
        except FutureTimeout:
            raise HubTimeout(f"the core of {self.home} did not answer within {wait:g} s; "
                             f"see {self.home / 'logs'}") from None

    def _run(self) -> None:
        self._connect(self._future)
        retry = _RETRY_S
        while not self._stopping.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            if self._stopping.is_set():
                return
            failed = self._future.exception() is not None
            if not failed and running(self._future.result()):
                retry = _RETRY_S
                continue
            if failed and self._stopping.wait(retry):  # a core that cannot start: back off
                return
            retry = min(retry * 2, _RETRY_CAP_S) if failed else _RETRY_S
            self._replace()

    def _replace(self) -> None:
        """A new handle for the home's core, in place of the one whose core went away.

        The old (failed or dead) handle stays current until the new one is settled, so a
        call meanwhile fails at once with why, or waits for the new core in `client`.
        """
        self.on_state("reconnecting", f"the core of {self.home} stopped; reconnecting")
        future: Future[CoreHandle] = Future()
        self._connect(future)

    def _connect(self, future: Future[CoreHandle]) -> None:
        try:
            handle = ensure_core(self.home, start_timeout=self._timeout)
        except BaseException as exc:  # handed to every caller of handle()
            future.set_exception(exc)
            self._settle(future)
            self.on_state("disconnected", exc.message if isinstance(exc, HubError) else str(exc))
            return
        future.set_result(handle)
        self._settle(future)
        self.on_state("connected", str(handle.client.info.pid))
        watch_this_shell(handle.client)
        warm_info(handle.client)

    def _settle(self, future: Future[CoreHandle]) -> None:
        with self._changed:
            if future is not self._future:
                self._future = future
                self.generation += 1
            self._changed.notify_all()


def watch_this_shell(client: Client) -> None:
    """Ask the core's monitor to sample this process too, as the hub's "shell"."""
    try:
        client.call("monitor.watch", {"pid": os.getpid(), "role": "shell", "name": "shell"},
                    timeout=_WATCH_TIMEOUT_S)
    except HubError as exc:  # the window works without it: say so and go on
        log.warning("the core's monitor will not sample the window: %s", exc.message)


def warm_info(client: Client) -> None:
    """Have the core probe its plugin sandbox while the page still loads.

    system.info's first answer from the plugin runtime waits for a probe host (0.1 to 0.3 s):
    the Status page's first call, a second or so later, then finds it done.  The runtime comes
    up just after the core answers; until it does, system.info reports what the OS offers
    (without `forkserver`), so the link asks again, briefly, until the runtime answers.
    """
    deadline = time.monotonic() + _WARM_S
    while time.monotonic() < deadline:
        try:
            info = client.call("system.info", {}, timeout=_WATCH_TIMEOUT_S)
        except HubError as exc:  # the page's own call will say what is wrong
            log.info("system.info did not answer the shell's warm-up: %s", exc.message)
            return
        if "forkserver" in info.get("containment", {}):
            return
        time.sleep(_WARM_POLL_S)


def running(handle: CoreHandle) -> bool:
    """Whether the handle's core process is still running (an exited child is reaped here)."""
    if handle.process is not None:
        return handle.process.poll() is None
    try:
        return psutil.Process(handle.client.info.pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:  # not ours to inspect (another user's pid): assume it runs
        return True
