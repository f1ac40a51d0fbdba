"""The task.* methods: list, look at and cancel the core's background tasks; and `install`,
which adds the "tasks" start-up stage (the manager and its runner threads)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal

from pajamas import heap
from pajamas.context import Check
from pajamas.errors import InvalidParams
from pajamas.rpc.methods import Registry
from pajamas.stages import Slot, service_check

if TYPE_CHECKING:  # the manager is imported by its start-up stage
    from pajamas.context import Context
    from pajamas.tasks.manager import TaskManager

MAX_PAGE: Final = 500
StateFilter = Literal["queued", "running", "done", "failed", "cancelled"]
STOP_WAIT_S: Final = 1.0  # for a task still running at shutdown: past it, the process exit ends it


def install(ctx: Context) -> Slot[TaskManager]:
    """Add the "tasks" stage, its health check and the task.* methods; the manager's slot."""
    slot = ctx.stages.add("tasks", lambda: _start(ctx), stop=lambda tasks: tasks.stop(STOP_WAIT_S))
    ctx.add_check("tasks", service_check(slot, _check))
    register(ctx.registry, slot)
    return slot


def _start(ctx: Context) -> TaskManager:
    from pajamas.tasks.manager import TaskManager  # noqa: PLC0415

    settings = ctx.settings
    tasks = TaskManager(heap.trimming(ctx.publish),  # a task's end: give its heap back
                        max_running=settings.max_running_tasks,
                        keep_finished=settings.tasks_kept, clock=ctx.clock)
    tasks.start()
    ctx.add_gauge("core.tasks_running", lambda: float(tasks.counts()["running"]))
    ctx.add_gauge("core.tasks_queued", lambda: float(tasks.counts()["queued"]))
    return tasks


def _check(tasks: TaskManager) -> Check:
    counts = tasks.counts()
    return Check(status="ok", detail=f"{counts['running']} running, {counts['queued']} queued")


def register(registry: Registry, tasks: Slot[TaskManager]) -> None:
    """Add task.list, task.get and task.cancel, served by the manager in tasks."""

    def task_list(offset: int = 0, limit: int = 50, state: StateFilter | None = None,
                  kind: str | None = None) -> dict[str, Any]:
        """List background tasks, newest first: {"items": [task], "total"}.

        A task is {"id", "kind", "title", "priority", "state", "progress" (0..1 or null),
        "message", "created_at", "started_at", "finished_at", "cancel_requested", "error",
        "result"}; `state` and `kind` filter the list.
        """
        check_page(offset, limit)
        return tasks.get().list(offset=offset, limit=limit, state=state, kind=kind)

    def task_get(id: str) -> dict[str, Any]:
        """Return one task by its id (see task.list for its fields); not_found if unknown."""
        return dict(tasks.get().get(id))

    def task_cancel(id: str) -> dict[str, Any]:
        """Cancel a task: {"cancelled": true} if it was queued or running, false if it had ended.

        A running task stops at its next safe point and then finishes as "cancelled"
        (a task.done event says when).  An unknown id is not_found.
        """
        return {"cancelled": tasks.get().cancel(id)}

    registry.add("task.list", task_list)
    registry.add("task.get", task_get)
    registry.add("task.cancel", task_cancel)


def check_page(offset: int, limit: int) -> None:
    """Raise `InvalidParams` unless offset >= 0 and 1 <= limit <= MAX_PAGE."""
    if offset < 0:
        raise InvalidParams(f"param 'offset' must be 0 or more, not {offset}", field="offset")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidParams(f"param 'limit' must be between 1 and {MAX_PAGE}, not {limit}",
                            field="limit")
