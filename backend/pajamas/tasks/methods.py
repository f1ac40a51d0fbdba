"""The task.* methods: list, look at and cancel the core's background tasks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal

from pajamas.errors import InvalidParams
from pajamas.rpc.methods import Registry
from pajamas.tasks.stages import Slot

if TYPE_CHECKING:  # the manager is imported by its start-up stage
    from pajamas.tasks.manager import TaskManager

MAX_PAGE: Final = 500
StateFilter = Literal["queued", "running", "done", "failed", "cancelled"]


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
