"""`pajamas memory add|search|stats`: a persona's memory from a terminal.

A persona is named by its name (or id).  These commands talk to the home's core, starting one
for the command's duration when none runs.
"""

from __future__ import annotations

import argparse
import json
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
    add.set_defaults(handler=add_command)
    search = memory_sub.add_parser("search", help="search a persona's memory")
    search.add_argument("persona", help="the persona's name or id")
    search.add_argument("query", help="what to look for")
    search.add_argument("--mode", choices=["hybrid", "vector", "text"], default="hybrid")
    search.add_argument("--limit", type=int, default=10)
    search.add_argument("--json", action="store_true", help="print the reply as JSON")
    search.set_defaults(handler=search_command)
    stats = memory_sub.add_parser("stats", help="a persona's memory in figures")
    stats.add_argument("persona", help="the persona's name or id")
    stats.set_defaults(handler=stats_command)


def add_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Add one memory and print its id."""
    params = {"text": args.text, "importance": args.importance, "metadata": args.metadata}
    result = _call(home, settings, args.persona, "memory.add",
                   {k: v for k, v in params.items() if v is not None})
    print(result["id"])
    return 0


def search_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Print the best memories, one a line with its score."""
    result = _call(home, settings, args.persona, "memory.search",
                   {"query": args.query, "mode": args.mode, "limit": args.limit})
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    for item in result["items"]:
        print(f"{item['score']:.4f}  {item['text']}")
    return 0


def stats_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Print memory.stats as JSON."""
    print(json.dumps(_call(home, settings, args.persona, "memory.stats", {}), indent=1))
    return 0


def _call(home: Path, settings: Settings, persona: str, method: str,
          params: dict[str, Any]) -> Any:
    """method called for the persona named (by name, else by id)."""
    from pajamas.errors import NotFound  # noqa: PLC0415
    from pajamas.launcher import command_client  # noqa: PLC0415

    with command_client(home, settings.core_start_timeout_s) as client:
        try:
            persona_id = client.call("persona.get", {"name": persona})["id"]
        except NotFound:
            persona_id = client.call("persona.get", {"id": persona})["id"]
        return client.call(method, {"persona": persona_id, **params})
