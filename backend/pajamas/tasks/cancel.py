"""Cooperative cancellation: a token the canceller sets and the work checks at safe points."""

from __future__ import annotations

import threading
from typing import final


class Cancelled(BaseException):  # named like asyncio.CancelledError, and for the same reason
    """Raised at a safe point of cancelled work; the task manager records the task as cancelled.

    A BaseException, like `asyncio.CancelledError`, so that work catching `Exception` around a
    step does not swallow the cancellation by accident.
    """


@final
class CancelToken:
    """Set once by whoever cancels; read by the work at each of its safe points."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop at its next safe point."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether cancellation was asked for."""
        return self._event.is_set()

    def check(self) -> None:
        """A safe point: raise `Cancelled` if cancellation was asked for."""
        if self._event.is_set():
            raise Cancelled

    def sleep(self, seconds: float) -> None:
        """Wait up to seconds, waking at once on cancellation (then raising `Cancelled`)."""
        if self._event.wait(seconds):
            raise Cancelled
