"""The `pajamas` command: parse, call a service or the RPC client, print.

Subcommand modules are imported only when chosen, so `pajamas core` imports nothing heavy
before it serves.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pajamas import __version__
from pajamas.cache.commands import add_cache_parser
from pajamas.config import Settings, load_settings, prepare_home, resolve_home
from pajamas.errors import CoreAlreadyRunning, HubError
from pajamas.hints import describe
from pajamas.memory.commands import add_memory_parser
from pajamas.monitor.commands import add_monitor_parser
from pajamas.perf.commands import add_perf_parsers
from pajamas.personas.commands import add_persona_parser
from pajamas.plugins.commands import add_plugin_parser
from pajamas.tasks.commands import add_perf_start_parser, add_task_parser

Handler = Callable[[argparse.Namespace, Path, Settings], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    if hasattr(sys.stdout, "reconfigure"):  # a redirected Windows console cannot print µ or ✓
        sys.stdout.reconfigure(errors="replace")
    args = build_parser().parse_args(argv)
    home: Path | None = None
    try:
        home = resolve_home()
        prepare_home(home)
        settings = load_settings(home)
        handler: Handler = getattr(args, "handler", _window)
        return handler(args, home, settings)
    except CoreAlreadyRunning as exc:
        print(f"pajamas: {describe(exc, home)}", file=sys.stderr)
        return 3
    except HubError as exc:
        print(f"pajamas: {describe(exc, home)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    """The `pajamas` command's parser, with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="pajamas", description="PajamasWeb AI Hub. With no command, opens the hub's window.")
    parser.add_argument("--version", action="version", version=f"pajamas-hub {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    core = sub.add_parser("core", help="run the core in the foreground until SIGTERM or Ctrl-C")
    core.set_defaults(handler=_core)
    settings = sub.add_parser("settings", help="list every setting, its value and its source")
    settings.set_defaults(handler=_settings)
    doctor = sub.add_parser("doctor", help="check what the hub needs on this machine")
    doctor.set_defaults(handler=_doctor)
    _perf_parser(sub)
    add_task_parser(sub)
    add_monitor_parser(sub)
    add_cache_parser(sub)
    add_persona_parser(sub)
    add_memory_parser(sub)
    add_plugin_parser(sub)
    return parser


def _perf_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    perf = sub.add_parser("perf", help="the performance suite")
    perf_sub = perf.add_subparsers(title="perf commands", metavar="PERF_COMMAND", required=True)
    add_perf_parsers(perf_sub)
    add_perf_start_parser(perf_sub)


def _window(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    from pajamas.shell.window import run_window  # noqa: PLC0415  (Qt loads only here)

    code = run_window(home, settings)
    # The window, its core and its sockets are closed by now.  Qt's and pywebview's daemon
    # threads may still hold zmq sockets, and the interpreter's exit would terminate the zmq
    # context under them: libzmq aborts when a socket closes while another thread waits on it
    # ("Assertion failed: pfd.revents & POLLIN", zeromq/libzmq#4644).  So leave at once.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _core(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    from pajamas import heap, logs  # noqa: PLC0415

    logs.setup(home, settings.log_level)
    heap.tune()  # before any thread starts: the core's imports and services start many
    from pajamas.app import Core  # noqa: PLC0415

    Core(home, settings).serve_until_signal()
    return 0


def _settings(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    from pajamas.config import declared, sources  # noqa: PLC0415

    where = sources(home)
    print(f"home: {home}  (settings file: {home / 'settings.toml'})")
    for info in declared():
        value = getattr(settings, info.name)
        print(f"{info.name} = {value!r}  [{info.type}; {where[info.name]}; "
              f"default {info.default!r}]")
        print(f"    {info.help}  (env PAJAMAS_{info.name.upper()})")
    return 0


def _doctor(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    from pajamas.doctor import run_doctor  # noqa: PLC0415

    return run_doctor(home, settings)
