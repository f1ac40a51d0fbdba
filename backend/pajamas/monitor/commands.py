"""`pajamas monitor ...`: the monitor's figures in a terminal.

These commands talk to the home's core, starting one for the command's duration when none
runs (it then has a single sample to show).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pajamas.config import Settings


def add_monitor_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `pajamas monitor snapshot|history|metrics|profile`."""
    monitor = sub.add_parser("monitor", help="the hub's processes: usage, history, alerts")
    monitor_sub = monitor.add_subparsers(title="monitor commands", metavar="MONITOR_COMMAND",
                                         required=True)
    snapshot = monitor_sub.add_parser("snapshot", help="the latest sample of every process")
    snapshot.set_defaults(handler=snapshot_command)
    history = monitor_sub.add_parser("history", help="a metric's points, e.g. core.rss")
    history.add_argument("metric")
    history.add_argument("--window", type=float, default=3600.0, metavar="SECONDS",
                         help="how far back (default 3600)")
    history.add_argument("--points", type=int, default=60, help="at most this many (default 60)")
    history.set_defaults(handler=history_command)
    metrics = monitor_sub.add_parser("metrics", help="the metrics history can show")
    metrics.set_defaults(handler=metrics_command)
    profile = monitor_sub.add_parser("profile", help="tracemalloc: first call starts tracing, "
                                                     "later ones list the growing lines")
    profile.add_argument("--limit", type=int, default=10)
    profile.add_argument("--stop", action="store_true", help="stop tracing afterwards")
    profile.set_defaults(handler=profile_command)


def snapshot_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Print the latest sample as a table."""
    from pajamas.monitor.report import format_snapshot  # noqa: PLC0415

    print(format_snapshot(_call(home, settings, "monitor.snapshot", {})))
    return 0


def history_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Print a metric's points."""
    from pajamas.monitor.report import format_points  # noqa: PLC0415

    params = {"metric": args.metric, "window_s": args.window, "max_points": args.points}
    print(format_points(args.metric, _call(home, settings, "monitor.history", params)["points"]))
    return 0


def metrics_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Print the names of the metrics with recent points, one a line."""
    for name in _call(home, settings, "monitor.metrics", {})["items"]:
        print(name)
    return 0


def profile_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Start tracemalloc in the core, or print the allocation sites that grew most."""
    result = _call(home, settings, "monitor.profile_memory",
                   {"limit": args.limit, "stop": args.stop})
    if result["started"]:
        print("tracing started: run this again later to see what grew")
    for item in result["items"]:
        print(f"{item['size_diff'] / 1024:+10.1f} KiB {item['count_diff']:+8d}  "
              f"{item['file']}:{item['line']}")
    return 0


def _call(home: Path, settings: Settings, method: str, params: dict[str, Any]) -> Any:
    from pajamas.launcher import command_call  # noqa: PLC0415

    return command_call(home, settings.core_start_timeout_s, method, params)
