"""The few threads that run the page's calls to the core.

Why not `ThreadPoolExecutor`: its threads are joined when the interpreter exits, so a call still
waiting for a core that has gone (up to the client's timeout) would hold the closed window's
process open.  Here the threads are daemons, and `shutdown` also releases whoever waits on a
call still running, so the window closes at once whatever the core does.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, InvalidStateError
from contextlib import suppress
from typing import Any, ParamSpec, TypeVar, final

P = ParamSpec("P")
T = TypeVar("T")

_Work = tuple[Future[Any], Callable[[], Any]]


class PoolClosed(RuntimeError):
    """The pool was shut down before the call finished."""


@final
class CallPool(Executor):
    """A fixed set of daemon threads; they keep their zmq sockets from call to call."""

    def __init__(self, workers: int, name: str = "pajamas-call") -> None:
        self._queue: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._running: set[Future[Any]] = set()
        self._idle = threading.Condition()
        self._closed = False
        self._threads = [threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run fn(*args, **kwargs) on a pool thread; raises `PoolClosed` after shutdown."""
        future: Future[T] = Future()
        with self._idle:
            if self._closed:
                raise PoolClosed("the pool is shut down")
            self._queue.put((future, lambda: fn(*args, **kwargs)))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Take no more calls; fail the ones not finished, so no caller waits on them.

        The threads end once their current call returns; `wait` waits for that, without limit.
        """
        with self._idle:
            self._closed = True
            running = list(self._running)
        for future in running:
            _fail(future)
        self._drain()
        for _ in self._threads:
            self._queue.put(None)
        if wait:
            for thread in self._threads:
                thread.join()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no call is running; False if some still is after timeout seconds."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._running, timeout)

    def _drain(self) -> None:
        while True:
            try:
                work = self._queue.get_nowait()
            except queue.Empty:
                return
            if work is not None:
                work[0].cancel()

    def _work(self) -> None:
        while (work := self._queue.get()) is not None:
            future, call = work
            if not future.set_running_or_notify_cancel():
                continue
            with self._idle:
                self._running.add(future)
            try:
                _settle(future, call)
            finally:
                with self._idle:
                    self._running.discard(future)
                    self._idle.notify_all()


def _settle(future: Future[Any], call: Callable[[], Any]) -> None:
    try:
        result = call()
    except BaseException as exc:
        _fail(future, exc)
    else:
        with suppress(InvalidStateError):  # shutdown already failed it
            future.set_result(result)


def _fail(future: Future[Any], exc: BaseException | None = None) -> None:
    with suppress(InvalidStateError):  # it finished meanwhile
        future.set_exception(exc or PoolClosed("the pool was shut down during the call"))
