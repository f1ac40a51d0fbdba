"""`pajamas task ...` and `pajamas perf start`: the CLI side of the core's tasks.

These commands talk to the home's core, starting one for the command's duration when none runs
(a core started so has no tasks yet: `task list` shows none, and `task wait` and `task cancel`
say that the task is unknown).  Only argparse is imported here; each handler imports what it
needs when it runs, so the `pajamas` command stays quick to start whatever subcommand is chosen.
"""

from __future__ import annotations

import argparse
import sys
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
    start.add_argument("--suite", default="full", metavar="SUITE",
                       help="quick (the vital signs), full (everything) or a group: rpc, "
                            "memory, cache, plugin, chat, ui, monitor, startup, load")
    start.add_argument("--quick", action="store_const", const="quick", dest="suite",
                       help="the same as --suite quick")
    start.set_defaults(handler=perf_start)


def task_list(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Print the core's tasks."""
    params: dict[str, Any] = {"limit": args.limit}
    if args.state:
        params["state"] = args.state
    with _client(home, settings) as client:
        page = client.call("task.list", params)
    print(format_tasks(page["items"], page["total"]))
    return 0


def task_cancel(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Cancel one of the core's tasks."""
    with _client(home, settings) as client:
        cancelled = client.call("task.cancel", {"id": args.id})["cancelled"]
    print(f"{args.id}: {'cancelling' if cancelled else 'already finished'}")
    return 0


def task_wait(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Follow one of the core's tasks until it finishes; 1 unless it is done."""
    with _client(home, settings) as client:
        view = _follow(client, args.id, cancel_on_interrupt=False)
    if view["state"] != "done":
        print(task_failure(view, home), file=sys.stderr)
        return 1
    return 0


def perf_start(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Run the suite as a task of the core, follow it, print the report."""
    from pajamas.perf.report import format_report  # noqa: PLC0415
    from pajamas.perf.runner import exit_code  # noqa: PLC0415

    with _client(home, settings) as client:
        params = {"suite": args.suite, "only": args.only}
        task_id = client.call("perf.run", {k: v for k, v in params.items() if v})["task"]
        view = _follow(client, task_id, cancel_on_interrupt=True)
        if view["state"] != "done":
            print(task_failure(view, home))
            return EXIT_INTERRUPTED if view["state"] == "cancelled" else 2
        run = client.call("perf.results", {"run": view["result"]["run_id"]})
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


def task_failure(view: dict[str, Any], home: Path) -> str:
    """The line that says why a task did not finish, its error worded for the command line."""
    from pajamas.hints import cli_message  # noqa: PLC0415

    error = view["error"]
    reason = cli_message(error["message"], error.get("data"), home) if error else view["state"]
    return f"pajamas: task {view['id']} {view['state']}: {reason}"


@contextmanager
def _client(home: Path, settings: Settings) -> Iterator[Client]:
    """A client of the home's core, started for the command when none runs."""
    from pajamas.launcher import command_client  # noqa: PLC0415

    with command_client(home, settings.core_start_timeout_s) as client:
        yield client
