"""The CLI's view of a task it waits on: a progress bar (rich) fed by task.* events.

Events can be missed (a subscription takes a moment to start, and PUB drops what a slow
reader does not take), so the bar also asks `task.get` whenever no event came for a while.
"""

from __future__ import annotations

from typing import Any, Final

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from pajamas.rpc.client import Client, Subscriber
from pajamas.rpc.protocol import Event
from pajamas.tasks.task import FINISHED

POLL_S: Final = 0.5


def follow(client: Client, events: Subscriber, task_id: str, *,
           console: Console | None = None) -> dict[str, Any]:
    """Show the task's progress until it finishes; its last view (see task.get)."""
    view: dict[str, Any] = client.call("task.get", {"id": task_id})
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        bar.console.print(f"{view['title']} (task {view['id']})")
        row = bar.add_task(view["state"], total=1.0)
        while view["state"] not in FINISHED:
            _draw(bar, row, view)
            view = _next_view(client, events, view)
        _draw(bar, row, view)
    return view


def _next_view(client: Client, events: Subscriber, view: dict[str, Any]) -> dict[str, Any]:
    event = events.receive(timeout=POLL_S)
    if event is None:
        return dict(client.call("task.get", {"id": view["id"]}))
    return _merge(view, event)


def _merge(view: dict[str, Any], event: Event) -> dict[str, Any]:
    data = event.data if isinstance(event.data, dict) else {}
    if data.get("id") != view["id"]:
        return view
    if event.topic == "task.done":
        return dict(data)
    return {**view, **{k: data[k] for k in ("state", "progress", "message") if k in data}}


def _draw(bar: Progress, row: TaskID, view: dict[str, Any]) -> None:
    fraction = view["progress"]
    bar.update(row, description=view["message"] or view["state"], completed=fraction or 0.0,
               total=None if fraction is None else 1.0)
