"""What the plugin benchmarks run: their plugins (package data), personas, breach times.

The plugins live in `pajamas/perf/plugins/` beside this module, so the suite runs from an
installed package; `stage` copies one into the benchmark's workdir (under a new name when a
benchmark needs several of them).  `bench-hostile` logs "breach <time.time()>" the moment it
goes over a quota; `breach_time` reads that from the plugin.log events.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any, Final

from pajamas.errors import HubError, Internal
from pajamas.perf.benchmark import NotRun
from pajamas.rpc.client import Client, Subscriber

SOURCES: Final = Path(__file__).resolve().parent / "plugins"
NOOP: Final = "bench-noop"
HOSTILE: Final = "bench-hostile"
_BREACH: Final = re.compile(r"breach (\d+\.\d+)")
_NAME: Final = re.compile(r'^name = ".*"$', re.MULTILINE)
_personas = itertools.count(1)


def stage(workdir: Path, source: str, name: str | None = None) -> Path:
    """A copy of the packaged plugin `source` in workdir, renamed to name when given."""
    target = workdir / "plugin-sources" / (name or source)
    shutil.copytree(SOURCES / source, target, ignore=shutil.ignore_patterns("__pycache__"))
    if name:
        manifest = target / "plugin.toml"
        text = manifest.read_text(encoding="utf-8")
        manifest.write_text(_NAME.sub(f'name = "{name}"', text, count=1), encoding="utf-8")
    return target


def require_hosts() -> None:
    """`NotRun` where plugin hosts cannot start: they fork from a template process."""
    if not hasattr(os, "fork"):
        raise NotRun("plugin hosts are forked from a template process, and this OS has no "
                      "fork (Windows): plugins do not run here yet")


def install(client: Client, workdir: Path, source: str, name: str | None = None) -> str:
    """Stage and install a packaged plugin; its installed name (`NotRun` where hosts cannot
    start, since every benchmark that installs one calls it)."""
    require_hosts()
    path = stage(workdir, source, name)
    return str(client.call("plugin.install", {"path": str(path)})["name"])


def persona_with(client: Client, *plugins: str) -> str:
    """A new persona (its id) with the plugins enabled."""
    persona = str(client.call("persona.create", {"name": f"bench-{next(_personas)}"})["id"])
    for plugin in plugins:
        client.call("plugin.enable", {"persona": persona, "name": plugin})
    return persona


def call(client: Client, persona: str, plugin: str, function: str,
         args: dict[str, Any] | None = None, **params: Any) -> Any:
    """plugin.call's result (params: timeout_s)."""
    return client.call("plugin.call", {"persona": persona, "name": plugin, "function": function,
                                       "args": args or {}, **params})["result"]


def expect_error(client: Client, persona: str, function: str, expected: type[HubError],
                 **params: Any) -> float:
    """Call bench-hostile's function, which must fail with expected; when the error arrived."""
    try:
        call(client, persona, HOSTILE, function, **params)
    except expected:
        return time.time()
    except HubError as exc:
        raise Internal(f"{HOSTILE}.{function} failed with {exc.code} ({exc.message}), not "
                       f"{expected.code}") from exc
    raise Internal(f"{HOSTILE}.{function} returned: its quota did not stop it")


def breach_time(events: Subscriber, persona: str, timeout_s: float = 2.0) -> float | None:
    """The time bench-hostile logged its breach for persona (from the plugin.log events).

    None when no breach was logged: a kill that lands between the breach and the core reading
    the log line loses the line with the host.
    """
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        event = events.receive(left)
        if event is None:
            break
        data = event.data if isinstance(event.data, dict) else {}
        found = _BREACH.search(str(data.get("message", data)))
        if found and data.get("persona", persona) == persona:
            return float(found.group(1))
    return None
