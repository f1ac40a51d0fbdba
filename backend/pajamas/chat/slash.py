"""Slash commands: a chat message that calls a plugin instead of asking the model.

``/PLUGIN FUNCTION {json args}`` calls a function of a plugin enabled for the conversation's
persona; ``/SHORT {json args}`` calls the function a plugin's manifest names under
``[commands]`` (text-stats: ``/stats {"text": "…"}``).  The args are a JSON object, `{}` when
left out.  A plugin's name wins over a short form of another plugin; a short form two enabled
plugins declare must be called by its long form.  A text that starts with ``//`` is not a
command: it is sent to the model with the first ``/`` removed.

A command that cannot be read (unknown name or function, a plugin not enabled for the
persona, args that are not a JSON object) is refused with `InvalidParams` (field "text")
saying what was wrong; nothing is stored then.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from pajamas.errors import InvalidParams

if TYPE_CHECKING:
    from pajamas.plugins.model import Plugin

PREFIX: Final = "/"
ESCAPE: Final = "//"
_COMMAND: Final = re.compile(r"/(\S*)\s*(.*)", re.DOTALL)
_FUNCTION: Final = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(.*)", re.DOTALL)


@dataclass(frozen=True)
class Command:
    """A command read: which function of which plugin, with which args."""

    plugin: str
    function: str
    args: dict[str, Any]


def is_command(text: str) -> bool:
    """Whether text is a command (starts with / but not //)."""
    return text.startswith(PREFIX) and not text.startswith(ESCAPE)


def literal(text: str) -> str:
    """The text to send for text that is not a command: //… loses its first /."""
    return text[1:] if text.startswith(ESCAPE) else text


def word(text: str) -> str:
    """The command's first word: a plugin's name or a short form ("" when there is none)."""
    match = _COMMAND.fullmatch(text.strip())
    return match[1] if match else ""


def parse(text: str, enabled: Mapping[str, Plugin], *, persona: str,
          installed: bool) -> Command:
    """The command in text, against the persona's enabled plugins.

    `installed` says whether a plugin named like the command's `word` is installed (for the
    error when it is not enabled).
    """
    match = _COMMAND.fullmatch(text.strip())
    word, rest = (match[1], match[2]) if match else ("", "")
    if not word:
        raise _error("a command is /PLUGIN FUNCTION {args} or /COMMAND {args}; start the text "
                     "with // to send one that begins with /")
    if word in enabled:
        return _long(word, rest, enabled[word])
    owners = [name for name, plugin in enabled.items() if word in plugin["commands"]]
    if len(owners) > 1:
        raise _error(f"/{word} is a command of several plugins ({', '.join(owners)}); call "
                     f"one as /{owners[0]} {enabled[owners[0]]['commands'][word]} {{args}}")
    if owners:
        plugin = owners[0]
        return Command(plugin, enabled[plugin]["commands"][word], _args(word, rest))
    if installed:
        raise _error(f"plugin {word!r} is not enabled for this persona", plugin=word,
                     persona=persona, hint="plugin.enable")
    raise _error(f"no plugin or command named {word!r} is enabled for this persona "
                 f"({_available(enabled)}); start the text with // to send one that begins "
                 "with /")


def _long(plugin: str, rest: str, found: Plugin) -> Command:
    functions = ", ".join(sorted(found["functions"]))
    match = _FUNCTION.fullmatch(rest)
    if match is None:
        raise _error(f"/{plugin} needs a function: /{plugin} FUNCTION {{args}}, FUNCTION one "
                     f"of {functions}", plugin=plugin)
    function, args = match[1], match[2]
    if function not in found["functions"]:
        raise _error(f"plugin {plugin!r} has no function {function!r}; it has {functions}",
                     plugin=plugin, function=function)
    return Command(plugin, function, _args(f"{plugin} {function}", args))


def _args(command: str, text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        args = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _error(f"the args of /{command} are not valid JSON ({exc.msg} at character "
                     f"{exc.pos + 1}); write them as a JSON object such as "
                     '{"text": "Hello."}') from None
    if not isinstance(args, dict):
        raise _error(f"the args of /{command} must be a JSON object such as "
                     f'{{"text": "Hello."}}, not {text.strip()[:80]!r}')
    return args


def _available(enabled: Mapping[str, Plugin]) -> str:
    if not enabled:
        return "the persona has no plugins enabled"
    names = [f"/{name}" for name in enabled]
    names += [f"/{short}" for plugin in enabled.values() for short in plugin["commands"]]
    return "there are " + ", ".join(sorted(names))


def _error(message: str, **data: Any) -> InvalidParams:
    return InvalidParams(message, field="text", **data)
