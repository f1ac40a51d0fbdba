"""The command line's words for the core's hints: what a person can type to fix an error.

An error the core sends says what was wrong.  When another method helps (one that lists what
exists, or one that fixes the problem), the error's data names that method as ``hint`` (see
`pajamas.errors`), so that every client can say it in its own terms: a web page links to its
own view, a script calls the method.  This module says it in the command line's terms: the
`pajamas` command that does the same, filled in from the error's data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from pajamas.errors import HubError

#: What a person types for each hint; {field}s come from the error's data (and {home}), and
#: one the data lacks shows as its upper-case name (`pajamas task cancel TASK`).
COMMANDS: Final[dict[str, str]] = {
    "persona.list": "`pajamas persona list` shows them",
    "plugin.list": "`pajamas plugin list` shows them",
    "plugin.enable": "enable it with `pajamas plugin enable {plugin} --persona {persona}`",
    "task.list": "`pajamas task list` shows them",
    "task.cancel": "wait for it with `pajamas task wait {task}` or cancel it with "
                   "`pajamas task cancel {task}`",
    "perf.run": "start one with `pajamas perf start`",
    "memory.reembed": "re-embed it with `pajamas memory reembed {persona}`",
    "memory.repair": "repair it with `pajamas memory repair {persona}`",
    "monitor.metrics": "`pajamas monitor metrics` lists them",
    "system.health": "the core's log, {home}/logs/core.log, has the details",
    "system.methods": "the core serving this home may be another version of the hub: stop it "
                      "and run the command again",
}


def describe(error: HubError, home: Path | None = None) -> str:
    """The error's message for a person at the command line, with its hint as a command."""
    return cli_message(error.message, error.data, home)


def cli_message(message: str, data: Any, home: Path | None = None) -> str:
    """message followed by what to type for the hint in data (a wire error's), if it has one."""
    hint = data.get("hint") if isinstance(data, dict) else None
    words = COMMANDS.get(hint) if isinstance(hint, str) else None
    if words is None:
        return message
    fields = _Fields({**data, "home": "<home>" if home is None else str(home)})
    return f"{message}; {words.format_map(fields)}"


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return key.upper()
