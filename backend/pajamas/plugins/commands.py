"""`pajamas plugin install|list|uninstall|enable|disable|call|status`: plugins from a terminal.

Thin RPC clients of the home's core, which is started for the command when none runs.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pajamas.config import Settings
from pajamas.errors import InvalidParams

if TYPE_CHECKING:
    from pajamas.rpc.client import Client

PAGE = 1000


def add_plugin_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `pajamas plugin install|list|uninstall|enable|disable|call|status`."""
    plugin = sub.add_parser("plugin", help="plugins: install, list, enable per persona")
    plugin_sub = plugin.add_subparsers(title="plugin commands", metavar="PLUGIN_COMMAND",
                                       required=True)
    installed = plugin_sub.add_parser("install", help="install a plugin folder or .zip")
    installed.add_argument("path", type=Path, help="a folder holding plugin.toml, or a .zip")
    installed.set_defaults(handler=install_command)
    listing = plugin_sub.add_parser("list", help="list the installed plugins")
    listing.add_argument("query", nargs="?", help="keep those whose name or description holds it")
    listing.set_defaults(handler=list_command)
    removed = plugin_sub.add_parser("uninstall", help="uninstall a plugin and delete its files")
    removed.add_argument("name", help="the plugin's name")
    removed.set_defaults(handler=uninstall_command)
    for verb, enabled in (("enable", True), ("disable", False)):
        switch = plugin_sub.add_parser(verb, help=f"{verb} a plugin for a persona")
        switch.add_argument("name", help="the plugin's name")
        switch.add_argument("--persona", required=True, help="the persona's name or id")
        switch.set_defaults(handler=enable_command, enabled=enabled)
    _add_run_parsers(plugin_sub)


def _add_run_parsers(plugin_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    called = plugin_sub.add_parser("call", help="call a plugin's function for a persona")
    called.add_argument("persona", help="the persona's name or id")
    called.add_argument("name", help="the plugin's name")
    called.add_argument("function", help="the function, as declared in its plugin.toml")
    called.add_argument("--args", default="{}", help='the keyword arguments as a JSON map, '
                        'e.g. \'{"text": "hi"}\'')
    called.add_argument("--timeout", type=float, help="seconds, at most the plugin's wall_s")
    called.set_defaults(handler=call_command)
    status = plugin_sub.add_parser("status", help="show the running plugin hosts")
    status.add_argument("persona", nargs="?", help="only this persona's (name or id)")
    status.set_defaults(handler=status_command)


def install_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Install the plugin at the path."""
    with _client(home, settings) as client:
        plugin = client.call("plugin.install", {"path": str(args.path.resolve())})
    print(f"installed {plugin['name']} {plugin['version']}: {describe(plugin)}")
    return 0


def list_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Print every installed plugin (matching the query) with its version and description."""
    params = {"query": args.query} if args.query else {}
    with _client(home, settings) as client:
        for plugin in client.iter_items("plugin.list", params, page=PAGE):
            print(f"{plugin['name']}\t{plugin['version']}\t{plugin['description']}")
    return 0


def uninstall_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Uninstall the named plugin."""
    with _client(home, settings) as client:
        client.call("plugin.uninstall", {"name": args.name})
    print(f"uninstalled {args.name}")
    return 0


def enable_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Enable or disable the named plugin for the named persona."""
    from pajamas.launcher import find_persona  # noqa: PLC0415

    method = "plugin.enable" if args.enabled else "plugin.disable"
    with _client(home, settings) as client:
        persona = find_persona(client, args.persona)
        client.call(method, {"persona": persona["id"], "name": args.name})
    print(f"{args.name} {'enabled' if args.enabled else 'disabled'} for {persona['name']}")
    return 0


def call_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Call the plugin's function for the persona and print the result as JSON."""
    params: dict[str, Any] = {"name": args.name, "function": args.function,
                              "args": _json_map(args.args)}
    if args.timeout is not None:
        params["timeout_s"] = args.timeout
    from pajamas.launcher import persona_id  # noqa: PLC0415

    with _client(home, settings) as client:
        params["persona"] = persona_id(client, args.persona)
        reply = client.call("plugin.call", params)
    print(json.dumps(reply["result"], ensure_ascii=False, indent=2, default=repr))
    return 0


def status_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Print the plugin hosts (of the persona): name, persona, pid, state, RSS, calls, kills."""
    from pajamas.launcher import persona_id  # noqa: PLC0415

    with _client(home, settings) as client:
        params = {"persona": persona_id(client, args.persona)} if args.persona else {}
        items = client.call("plugin.status", params)["items"]
    print("plugin\tpersona\tpid\tstate\trss_mb\tcpu%\tcalls\tkills")
    for item in items:
        print(f"{item['name']}\t{item['persona']}\t{item['pid']}\t{item['state']}\t"
              f"{item['rss'] / 1048576:.1f}\t{item['cpu_percent']:.0f}\t{item['calls']}\t"
              f"{item['kills']}")
    return 0


def _json_map(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidParams(f"--args is not JSON: {exc}", field="args") from exc
    if not isinstance(value, dict):
        raise InvalidParams(f"--args must be a JSON map, not {text!r}", field="args")
    return value


def describe(plugin: dict[str, Any]) -> str:
    """The plugin's functions and granted permissions, in one line."""
    granted = [name for name, on in plugin["permissions"].items() if on]
    return (f"functions {', '.join(sorted(plugin['functions']))}; "
            f"permissions {', '.join(granted) or 'none'}")


@contextmanager
def _client(home: Path, settings: Settings) -> Iterator[Client]:
    """A client of the home's core, started for the command when none runs."""
    from pajamas.launcher import command_client  # noqa: PLC0415

    with command_client(home, settings.core_start_timeout_s) as client:
        yield client
