"""`pajamas cache stats|clear`: the tiered cache from a terminal.

These commands talk to the home's core, starting one for the command's duration when none runs
(its hot tier is then empty, while the warm and cold tiers show what they kept on disk).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pajamas.config import Settings


def add_cache_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `pajamas cache stats|clear`."""
    cache = sub.add_parser("cache", help="the tiered cache: figures per namespace and tier")
    cache_sub = cache.add_subparsers(title="cache commands", metavar="CACHE_COMMAND",
                                     required=True)
    stats = cache_sub.add_parser("stats", help="hits, sizes, moves and latencies per tier")
    stats.add_argument("--json", action="store_true", help="print the figures as JSON")
    stats.set_defaults(handler=stats_command)
    clear = cache_sub.add_parser("clear", help="empty one namespace's tiers, or all of them")
    clear.add_argument("namespace", nargs="?", default=None,
                       help="embeddings, search or plugin_results (default: all)")
    clear.set_defaults(handler=clear_command)


def stats_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Print the cache's figures as a table (or JSON)."""
    from pajamas.cache.report import format_stats  # noqa: PLC0415

    stats = _call(home, settings, "cache.stats", {})
    print(json.dumps(stats, indent=1) if args.json else format_stats(stats))
    return 0


def clear_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Empty a namespace (or all) and say how many values went."""
    params = {} if args.namespace is None else {"namespace": args.namespace}
    result = _call(home, settings, "cache.clear", params)
    print(f"cleared {result['cleared']} values from {', '.join(result['namespaces'])}")
    return 0


def _call(home: Path, settings: Settings, method: str, params: dict[str, Any]) -> Any:
    from pajamas.launcher import command_call  # noqa: PLC0415

    return command_call(home, settings.core_start_timeout_s, method, params)
