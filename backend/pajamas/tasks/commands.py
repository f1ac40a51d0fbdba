"""`pajamas task ...` and `pajamas perf start`: the CLI side of the core's tasks.

Only argparse is imported here; each handler imports what it needs when it runs, so the
`pajamas` command stays quick to start whatever subcommand is chosen.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pajamas.config import Settings

if TYPE_CHECKING:
    from pajamas.rpc.client import Client

STATES = ("queued", "running", "done", "failed", "cancelled")
EXIT_INTERRUPTED = 130


def add_task_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `pajamas task list|cancel|wait`."""
    task = sub.add_parser("task", help="the core's background tasks")
    task_sub = task.add_subparsers(title="task commands", metavar="TASK_COMMAND", required=True)
    listing = task_sub.add_parser("list", help="list the tasks, newest first")
    listing.add_argument("--state", choices=STATES, default=None, help="only tasks in this state")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    listing.set_defaults(handler=task_list)
    cancel = task_sub.add_parser("cancel", help="cancel a task at its next safe point")
    cancel.add_argument("id")
    cancel.set_defaults(handler=task_cancel)
    wait = task_sub.add_parser("wait", help="show a task's progress until it finishes")
    wait.add_argument("id")
    wait.set_defaults(handler=task_wait)


def add_perf_start_parser(perf_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `pajamas perf start`: the suite as a task of the core, with a progress bar."""
    start = perf_sub.add_parser("start", help="run the suite as a task of the core, showing "
                                              "its progress, then report")
    start.add_argument("--only", nargs="+", metavar="NAME", default=None,
                       help="run only these benchmarks (names or name prefixes)")
    start.add_argument("--quick", action="store_true", help="run every loop at a tenth of its size")
    start.set_defaults(handler=perf_start)


def task_list(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Print the tasks of the running core."""
    params: dict[str, Any] = {"limit": args.limit}
    if args.state:
        params["state"] = args.state
    with _client(home) as client:
        page = client.call("task.list", params)
    print(format_tasks(page["items"], page["total"]))
    return 0


def task_cancel(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Cancel a task of the running core."""
    with _client(home) as client:
        cancelled = client.call("task.cancel", {"id": args.id})["cancelled"]
    print(f"{args.id}: {'cancelling' if cancelled else 'already finished'}")
    return 0


def task_wait(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Follow a task of the running core until it finishes; 1 unless it is done."""
    with _client(home) as client:
        view = _follow(client, args.id, cancel_on_interrupt=False)
    return 0 if view["state"] == "done" else 1


def perf_start(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Start perf.run on the core (starting one if needed), follow it, print the report."""
    from pajamas.launcher import ensure_core  # noqa: PLC0415
    from pajamas.perf.report import format_report  # noqa: PLC0415
    from pajamas.perf.runner import exit_code  # noqa: PLC0415

    handle = ensure_core(home, start_timeout=settings.core_start_timeout_s)
    try:
        params = {"suite": "quick" if args.quick else "full", "only": args.only}
        task_id = handle.client.call("perf.run", {k: v for k, v in params.items() if v})["task"]
        view = _follow(handle.client, task_id, cancel_on_interrupt=True)
        if view["state"] != "done":
            return _failed(view)
        run = handle.client.call("perf.results", {"run": view["result"]["run_id"]})
    finally:
        handle.close()
    print(format_report(run))
    print(f"\nsaved {view['result']['path']}")
    return exit_code(run)


def format_tasks(items: list[dict[str, Any]], total: int) -> str:
    """One line per task: id, state, progress, title, and the message or error."""
    lines = []
    for t in items:
        progress = "" if t["progress"] is None else f"{t['progress']:.0%}"
        note = t["error"]["message"] if t["error"] else t["message"]
        lines.append(f"{t['id']:20} {t['state']:9} {progress:>4}  {t['title']}  {note}".rstrip())
    lines.append(f"{len(items)} of {total} tasks")
    return "\n".join(lines)


def _follow(client: Client, task_id: str, *, cancel_on_interrupt: bool) -> dict[str, Any]:
    from pajamas.rpc.client import Subscriber  # noqa: PLC0415
    from pajamas.tasks.follow import follow  # noqa: PLC0415

    events = Subscriber(client.info, ("task.",))
    try:
        return follow(client, events, task_id)
    except KeyboardInterrupt:
        if not cancel_on_interrupt:
            raise
        client.call("task.cancel", {"id": task_id})
        print(f"cancelling {task_id} …")
        return follow(client, events, task_id)
    finally:
        events.close()


def _failed(view: dict[str, Any]) -> int:
    reason = view["error"]["message"] if view["error"] else view["state"]
    print(f"pajamas: task {view['id']} {view['state']}: {reason}")
    return EXIT_INTERRUPTED if view["state"] == "cancelled" else 2


@contextmanager
def _client(home: Path) -> Iterator[Client]:
    from pajamas.rpc.client import connect  # noqa: PLC0415

    client = connect(home)
    try:
        yield client
    finally:
        client.close()
