"""`pajamas memory add|search|stats|export|import|...`: a persona's memory from a terminal.

A persona is named by its name (or id).  These commands talk to the home's core, starting one
for the command's duration when none runs; the maintenance ones (export, import, consolidate,
backup, restore, reembed, repair) start a task and show its progress until it finishes.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pajamas.config import Settings


def add_memory_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `pajamas memory add|search|stats`."""
    memory = sub.add_parser("memory", help="a persona's memory: add, search, statistics")
    memory_sub = memory.add_subparsers(title="memory commands", metavar="MEMORY_COMMAND",
                                       required=True)
    add = memory_sub.add_parser("add", help="add a memory to a persona")
    add.add_argument("persona", help="the persona's name or id")
    add.add_argument("text", help="what to remember")
    add.add_argument("--importance", type=float, default=None, help="0..1 (default 0.5)")
    add.add_argument("--metadata", type=json.loads, default=None, help="a JSON map")
    add.add_argument("--thread", default=None,
                     help="what it belongs to: a conversation, a session, a document")
    add.add_argument("--at", type=_moment, default=None,
                     help="when it happened: a date (2023-05-08, 2023-05-08T13:56, UTC when "
                          "no zone is given) or seconds since 1970 (default now)")
    add.set_defaults(handler=add_command)
    search = memory_sub.add_parser("search", help="search a persona's memory")
    search.add_argument("persona", help="the persona's name or id")
    search.add_argument("query", help="what to look for")
    search.add_argument("--mode", choices=["hybrid", "vector", "text"], default="hybrid")
    search.add_argument("--limit", type=int, default=10)
    search.add_argument("--thread", default=None, help="only this thread's memories")
    search.add_argument("--json", action="store_true", help="print the reply as JSON")
    search.set_defaults(handler=search_command)
    stats = memory_sub.add_parser("stats", help="a persona's memory in figures")
    stats.add_argument("persona", help="the persona's name or id")
    stats.set_defaults(handler=stats_command)
    _add_maintenance(memory_sub)


def _add_maintenance(memory_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = memory_sub.add_parser("export", help="write a persona's memories to a .jsonl or "
                                                  ".parquet file")
    export.add_argument("persona", help="the persona's name or id")
    export.add_argument("-o", "--output", required=True, help="the file (.jsonl or .parquet)")
    export.add_argument("--include-vectors", action="store_true", help="write the vectors too")
    export.set_defaults(handler=export_command)
    load = memory_sub.add_parser("import", help="add the memories of a .jsonl or .parquet file")
    load.add_argument("persona", help="the persona's name or id")
    load.add_argument("file", help="the file (.jsonl or .parquet, as export writes)")
    load.add_argument("--on-conflict", choices=["skip", "replace"], default="skip",
                      help="what to do with an id the persona has already (default skip)")
    load.set_defaults(handler=import_command)
    for name, help_text in (("consolidate", "merge duplicates, supersede contradictions"),
                            ("reembed", "re-embed the memory with the current model")):
        command = memory_sub.add_parser(name, help=help_text)
        command.add_argument("persona", help="the persona's name or id")
        command.set_defaults(handler=task_command, method=f"memory.{name}")
    backup = memory_sub.add_parser("backup", help="write a persona's backup archive (.zip)")
    backup.add_argument("persona", help="the persona's name or id")
    backup.add_argument("-o", "--output", default=None, help="the archive (default: under "
                                                             "<home>/backups)")
    backup.set_defaults(handler=backup_command)
    restore = memory_sub.add_parser("restore", help="restore a backup archive")
    restore.add_argument("file", help="the archive memory backup wrote")
    restore.add_argument("--persona", default=None, help="restore into this persona (name or "
                                                         "id); default: a new one")
    restore.add_argument("--reembed", action="store_true",
                         help="accept a backup made with another model, embedding its texts")
    restore.set_defaults(handler=restore_command)
    repair = memory_sub.add_parser("repair", help="rebuild a persona's damaged memory from its "
                                                  "latest backup and journals")
    repair.add_argument("persona", help="the persona's name or id")
    repair.add_argument("--backup", default=None, help="restore this archive (default: the "
                                                       "newest of the persona under "
                                                       "<home>/backups)")
    repair.set_defaults(handler=repair_command)


def _moment(text: str) -> float:
    """A date and time (ISO 8601; UTC when it names no zone) or seconds since 1970."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (2023-05-08 or 2023-05-08T13:56) nor seconds since 1970"
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def add_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Add one memory and print its id."""
    params = {"text": args.text, "importance": args.importance, "metadata": args.metadata,
              "thread": args.thread, "at": args.at}
    result = _call(home, settings, args.persona, "memory.add",
                   {k: v for k, v in params.items() if v is not None})
    print(result["id"])
    return 0


def search_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Print the best memories, one a line with its score."""
    params = {"query": args.query, "mode": args.mode, "limit": args.limit,
              "thread": args.thread}
    result = _call(home, settings, args.persona, "memory.search",
                   {k: v for k, v in params.items() if v is not None})
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    for item in result["items"]:
        print(f"{item['score']:.4f}  {item['text']}")
    return 0


def stats_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Print a persona's memory figures as JSON."""
    print(json.dumps(_call(home, settings, args.persona, "memory.stats", {}), indent=1))
    return 0


def export_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Export a persona's memories to a file, showing progress."""
    return _task(home, settings, args.persona, "memory.export",
                 {"path": str(Path(args.output).resolve()),
                  "include_vectors": args.include_vectors})


def import_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Import a file's memories into a persona, showing progress."""
    return _task(home, settings, args.persona, "memory.import",
                 {"path": str(Path(args.file).resolve()), "on_conflict": args.on_conflict})


def task_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Run a persona's maintenance task (consolidate, reembed), showing progress."""
    return _task(home, settings, args.persona, args.method, {})


def backup_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Write a persona's backup archive, showing progress."""
    path = {"path": str(Path(args.output).resolve())} if args.output else {}
    return _task(home, settings, args.persona, "memory.backup", path)


def restore_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Restore a backup archive, showing progress."""
    return _task(home, settings, args.persona, "memory.restore",
                 {"path": str(Path(args.file).resolve()), "reembed": args.reembed})


def repair_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Rebuild a persona's damaged memory, showing progress; print what came back from where."""
    path = {"path": str(Path(args.backup).resolve())} if args.backup else {}
    return _task(home, settings, args.persona, "memory.repair", path)


def _call(home: Path, settings: Settings, persona: str, method: str,
          params: dict[str, Any]) -> Any:
    """method called for the persona named (by name, else by id)."""
    from pajamas.launcher import command_client, persona_id  # noqa: PLC0415

    with command_client(home, settings.core_start_timeout_s) as client:
        return client.call(method, {"persona": persona_id(client, persona), **params})


def _task(home: Path, settings: Settings, persona: str | None, method: str,
          params: dict[str, Any]) -> int:
    """Start method's task (for the persona named, if any), follow it, print its result."""
    from pajamas.launcher import command_client, persona_id  # noqa: PLC0415
    from pajamas.rpc.client import Subscriber  # noqa: PLC0415
    from pajamas.tasks.follow import follow  # noqa: PLC0415

    with command_client(home, settings.core_start_timeout_s) as client:
        if persona is not None:
            params = {"persona": persona_id(client, persona), **params}
        events = Subscriber(client.info, ("task.",))
        try:
            view = follow(client, events, client.call(method, params)["task"])
        finally:
            events.close()
    if view["state"] != "done":
        from pajamas.tasks.commands import task_failure  # noqa: PLC0415

        print(task_failure(view, home), file=sys.stderr)
        return 2
    print(json.dumps(view["result"]))
    return 0


