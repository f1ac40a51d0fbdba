"""One unit of background work: its kind, priority, state, progress, and result or error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Literal, TypedDict, final

from pajamas.errors import WireError
from pajamas.tasks.cancel import CancelToken

State = Literal["queued", "running", "done", "failed", "cancelled"]
FINISHED: Final[frozenset[str]] = frozenset({"done", "failed", "cancelled"})


class TaskView(TypedDict):
    """A task as the task.* methods and events show it."""

    id: str
    kind: str
    title: str
    priority: int
    state: State
    progress: float | None
    message: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    cancel_requested: bool
    error: WireError | None
    result: Any


Work = Callable[["Task"], Any]


@final
class Task:
    """What a work function is handed: report progress, check for cancellation.

    `progress` and `check_cancelled` are the work's safe points: either raises `Cancelled`
    once the task was cancelled, which stops the work there.
    """

    def __init__(self, task_id: str, kind: str, *, title: str, priority: int, work: Work,
                 created_at: float, on_progress: Callable[[Task], None]) -> None:
        self.id, self.kind, self.title, self.priority = task_id, kind, title, priority
        self.work = work
        self.token = CancelToken()
        self.state: State = "queued"
        self.fraction: float | None = None
        self.message = ""
        self.created_at = created_at
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.error: WireError | None = None
        self.result: Any = None
        self._on_progress = on_progress

    def progress(self, fraction: float | None, message: str | None = None) -> None:
        """Report how far the work is (0..1, None when unknown) and what it does; a safe point."""
        self.token.check()
        self.fraction = None if fraction is None else min(1.0, max(0.0, float(fraction)))
        if message is not None:
            self.message = message
        self._on_progress(self)

    def check_cancelled(self) -> None:
        """A safe point: raise `Cancelled` if the task was cancelled."""
        self.token.check()

    def sleep(self, seconds: float) -> None:
        """Wait, waking at once (and raising `Cancelled`) if the task is cancelled."""
        self.token.sleep(seconds)

    @property
    def finished(self) -> bool:
        """Whether the task is done, failed or cancelled."""
        return self.state in FINISHED

    def view(self) -> TaskView:
        """The task as the task.* methods show it."""
        return TaskView(id=self.id, kind=self.kind, title=self.title, priority=self.priority,
                        state=self.state, progress=self.fraction, message=self.message,
                        created_at=self.created_at, started_at=self.started_at,
                        finished_at=self.finished_at, cancel_requested=self.token.cancelled,
                        error=self.error, result=self.result)
