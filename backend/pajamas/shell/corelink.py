"""The home's core, found or started on a thread of its own while the window opens.

Starting Qt WebEngine and starting the core each take a few hundred milliseconds; doing them
side by side is most of what makes the window show live data quickly.  Until the core answers,
calls wait for it (up to the start timeout) instead of failing.
"""

from __future__ import annotations

import logging
import os
import threading
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


@final
class CoreLink:
    """A `CoreHandle` that arrives later; `close` stops the core only if this process started it."""

    def __init__(self, home: Path, start_timeout: float) -> None:
        self.home = home
        self._timeout = start_timeout
        self._future: Future[CoreHandle] = Future()
        self._thread = threading.Thread(target=self._run, name="pajamas-core-link", daemon=True)

    def start(self) -> None:
        """Begin finding or starting the core."""
        self._thread.start()

    def handle(self) -> CoreHandle:
        """The handle once the core answers; raises the `HubError` that kept it from starting."""
        wait = self._timeout + _WAIT_MARGIN_S
        try:
            return self._future.result(wait)
        except FutureTimeout:
            raise HubTimeout(f"the core of {self.home} did not answer within {wait:g} s; "
                             f"see {self.home / 'logs'}") from None

    def client(self) -> Client:
        """The client of the core (waits for it to start); `CoreNotRunning` once it has stopped.

        A call to a core that is gone would wait for the client's whole timeout; checking the
        process first (a cheap waitpid or /proc read) lets the page learn it at once.
        """
        handle = self.handle()
        if not running(handle):
            raise CoreNotRunning(f"the core of {self.home} (pid {handle.client.info.pid}) has "
                                 "stopped; close the window and open it again to start a new one",
                                 home=str(self.home))
        return handle.client

    def subscriber(self) -> Subscriber:
        """A new subscriber to every event of the core (waits for it to start)."""
        return Subscriber(self.client().info)

    def close(self, *, close_client: bool = True) -> None:
        """Stop the core if this process started it (even if it is still starting).

        `close_client=False` leaves the client's sockets to the process's exit: zmq sockets
        must not be closed while other threads still wait on them.
        """
        if self._thread.ident is None:  # never started
            return
        self._thread.join()  # a core still starting must not be left running
        if self._future.exception() is not None:
            return
        handle = self._future.result()
        if close_client:
            handle.close()
        elif handle.process is not None:
            stop_core(handle.process)

    def _run(self) -> None:
        try:
            handle = ensure_core(self.home, start_timeout=self._timeout)
        except BaseException as exc:  # handed to every caller of handle()
            self._future.set_exception(exc)
            return
        self._future.set_result(handle)
        watch_this_shell(handle.client)


def watch_this_shell(client: Client) -> None:
    """Ask the core's monitor to sample this process too, as the hub's "shell"."""
    try:
        client.call("monitor.watch", {"pid": os.getpid(), "role": "shell", "name": "shell"},
                    timeout=_WATCH_TIMEOUT_S)
    except HubError as exc:  # the window works without it: say so and go on
        log.warning("the core's monitor will not sample the window: %s", exc.message)


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
