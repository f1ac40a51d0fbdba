"""The task manager: a priority queue of tasks and at most `max_running` runner threads.

Higher priority runs first, then older first.  Progress reaches subscribers as `task.progress`
events (at most one per task per `progress_interval_s`, plus one whenever the message
changes); every finished task sends one `task.done`.  A failed task keeps its error; finished
tasks are kept, newest first, up to `keep_finished`.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Final, final

from pajamas.errors import Busy, HubError, HubTimeout, Internal, InvalidParams, NotFound
from pajamas.tasks.cancel import Cancelled
from pajamas.tasks.task import State, Task, TaskView, Work

log = logging.getLogger(__name__)

Publish = Callable[[str, Any], None]
_KIND: Final = re.compile(r"^[a-z][a-z0-9_.-]{0,31}$")


@final
class TaskManager:
    """Runs submitted work on a bounded set of threads, by priority."""

    def __init__(self, publish: Publish, *, max_running: int, keep_finished: int = 200,
                 progress_interval_s: float = 0.1, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._publish, self._clock, self._monotonic = publish, clock, monotonic
        self._max_running, self._keep = max_running, keep_finished
        self._interval = progress_interval_s
        self._cond = threading.Condition()
        self._queue: list[tuple[int, int, Task]] = []
        self._tasks: dict[str, Task] = {}
        self._finished: deque[str] = deque()
        self._last_sent: dict[str, tuple[float, str]] = {}
        self._seq = itertools.count()
        self._runners: list[threading.Thread] = []
        self._closed = False

    def start(self) -> None:
        """Start the runner threads."""
        for n in range(self._max_running):
            runner = threading.Thread(target=self._run_forever, name=f"pajamas-task-{n}",
                                      daemon=True)
            runner.start()
            self._runners.append(runner)

    def stop(self, timeout: float) -> None:
        """Cancel every task, refuse new ones, and wait up to timeout for the runners."""
        with self._cond:
            self._closed = True
            pending = [t for t in self._tasks.values() if not t.finished]
        for task in pending:
            self._cancel(task)
        with self._cond:
            self._cond.notify_all()
        deadline = self._monotonic() + timeout
        for runner in self._runners:
            runner.join(max(0.0, deadline - self._monotonic()))

    def submit(self, kind: str, work: Work, *, priority: int = 0, title: str = "") -> Task:
        """Queue work as a task of kind; it starts when a runner is free and nothing outranks it."""
        if not _KIND.match(kind):
            raise InvalidParams(f"a task kind is a short lowercase name, not {kind!r}",
                                field="kind")
        task = Task(f"{kind}-{secrets.token_hex(4)}", kind, title=title or kind,
                    priority=priority, work=work, created_at=self._clock(),
                    on_progress=self._on_progress)
        with self._cond:
            if self._closed:
                raise Busy("the core is stopping and takes no new tasks")
            self._tasks[task.id] = task
            heapq.heappush(self._queue, (-priority, next(self._seq), task))
            self._cond.notify()
        return task

    def cancel(self, task_id: str) -> bool:
        """Ask a task to stop; True if it was queued or running, False if already finished."""
        with self._cond:
            task = self._get(task_id)
        return self._cancel(task)

    def get(self, task_id: str) -> TaskView:
        """The task's current view; `NotFound` for an unknown id."""
        with self._cond:
            return self._get(task_id).view()

    def wait(self, task_id: str, timeout: float) -> TaskView:
        """Wait up to timeout for the task to finish; its view, or `HubTimeout`."""
        deadline = self._monotonic() + timeout
        with self._cond:
            task = self._get(task_id)
            while not task.finished:
                left = deadline - self._monotonic()
                if left <= 0:
                    raise HubTimeout(f"task {task_id} did not finish within {timeout:g} s",
                                     task=task_id)
                self._cond.wait(left)
            return task.view()

    def list(self, *, offset: int = 0, limit: int = 50, state: str | None = None,
             kind: str | None = None) -> dict[str, Any]:
        """Tasks newest first, optionally of one state or kind: {"items", "total"}."""
        with self._cond:
            chosen = [t for t in reversed(self._tasks.values())
                      if (state is None or t.state == state) and (kind is None or t.kind == kind)]
            items = [t.view() for t in chosen[offset:offset + limit]]
        return {"items": items, "total": len(chosen)}

    def counts(self) -> dict[str, int]:
        """How many tasks are queued and running now."""
        with self._cond:
            states = [t.state for t in self._tasks.values()]
        return {"queued": states.count("queued"), "running": states.count("running")}

    # -- running ------------------------------------------------------------------------

    def _run_forever(self) -> None:
        while (task := self._next()) is not None:
            self._run(task)

    def _next(self) -> Task | None:
        """The most urgent queued task, waiting for one; None once the manager is closed."""
        with self._cond:
            while True:
                while self._queue:
                    task = heapq.heappop(self._queue)[2]
                    if task.state == "queued":  # cancelled ones stay in the heap until here
                        task.state, task.started_at = "running", self._clock()
                        return task
                if self._closed:
                    return None
                self._cond.wait()

    def _run(self, task: Task) -> None:
        self._send_progress(task)
        try:
            task.check_cancelled()
            result = task.work(task)
        except Cancelled:
            self._finish(task, "cancelled")
        except HubError as exc:
            self._finish(task, "failed", error=exc)
        except Exception as exc:  # the border: a bug in work fails its task, not the runner
            log.exception("task %s (%s) failed", task.id, task.kind)
            self._finish(task, "failed", error=Internal(
                f"task {task.kind} failed: {type(exc).__name__}: {exc} (the core's log has the "
                "traceback)", task=task.id))
        else:
            self._finish(task, "done", result=result)

    def _cancel(self, task: Task) -> bool:
        with self._cond:
            if task.finished:
                return False
            task.token.cancel()
            queued = task.state == "queued"
            if queued:  # under the lock, so that no runner picks it up meanwhile
                task.state = "cancelled"
        if queued:
            self._finish(task, "cancelled")
        return True

    def _finish(self, task: Task, state: State, *, error: HubError | None = None,
                result: Any = None) -> None:
        with self._cond:
            task.state, task.finished_at = state, self._clock()
            task.error = None if error is None else error.to_wire()
            task.result = result
            if state == "done":
                task.fraction = 1.0
            self._remember(task)
            self._cond.notify_all()
            view = task.view()
        self._publish("task.done", view)

    def _remember(self, task: Task) -> None:
        """Keep the finished task, forgetting the oldest finished ones beyond the bound."""
        self._finished.append(task.id)
        self._last_sent.pop(task.id, None)
        while len(self._finished) > self._keep:
            self._tasks.pop(self._finished.popleft(), None)

    def _get(self, task_id: str) -> Task:
        task = self._tasks.get(task_id)
        if task is None:
            raise NotFound(f"no task {task_id!r} (the core keeps the last {self._keep} "
                           "finished tasks, and none from before it started)", task=task_id,
                           hint="task.list")
        return task

    # -- progress events ----------------------------------------------------------------

    def _on_progress(self, task: Task) -> None:
        now = self._monotonic()
        last_at, last_message = self._last_sent.get(task.id, (-1e18, ""))
        if task.message != last_message or now - last_at >= self._interval:
            self._send_progress(task)

    def _send_progress(self, task: Task) -> None:
        self._last_sent[task.id] = (self._monotonic(), task.message)
        self._publish("task.progress", {"id": task.id, "kind": task.kind, "state": task.state,
                                        "progress": task.fraction, "message": task.message})
