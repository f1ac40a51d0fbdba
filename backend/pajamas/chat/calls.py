"""`PluginCalls`: the chat's way to a persona's plugins, and the outcome of a call as text.

Slash commands (slash.py) and models' tool calls (tools.py) call plugins exactly as
`plugin.call` does: through the plugin runtime, in the plugin's sandboxed host for the
persona, under its quotas and permissions.  A failure of the call (a quota, a timeout, the
plugin's exception) is an `Outcome` too: it is shown in the conversation, not raised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, final

from pajamas.errors import HubError, NotFound

if TYPE_CHECKING:
    from pajamas.chat.model import Decision, ToolRecord
    from pajamas.plugins.methods import PluginSlots
    from pajamas.plugins.model import Plugin

#: Past this, a result's text is cut (the whole result stays the plugin's answer to plugin.call).
MAX_OUTPUT: Final = 20_000
COMPACT: Final = 120  # a result whose JSON is longer than this is shown indented


@dataclass(frozen=True)
class Outcome:
    """What a call gave: its result, or the error's message and the method that helps (the
    error's hint)."""

    result: Any = None
    error: str | None = None
    helps: str | None = None
    ran: bool = True  # false: the call was not run (declined, stopped), nothing came back

    @property
    def ok(self) -> bool:
        """Whether the call returned a result."""
        return self.ran and self.error is None

    def output(self) -> str | None:
        """The result as text for people and models: text as it is, the rest as JSON."""
        if not self.ok:
            return None
        return render(self.result)

    def record(self, call: str, plugin: str, function: str, arguments: dict[str, Any],
               decision: Decision) -> ToolRecord:
        """The call as a message shows it."""
        return {"call": call, "plugin": plugin, "function": function, "arguments": arguments,
                "decision": decision, "output": self.output(), "error": self.error,
                "hint": self.helps}


@final
class PluginCalls:
    """The persona's enabled plugins, and calls of their functions."""

    def __init__(self, plugins: PluginSlots) -> None:
        self._plugins = plugins

    def enabled(self, persona: str, *, wait: bool = True) -> dict[str, Plugin]:
        """The plugins enabled for the persona, by name (none while the registry is not up
        and `wait` is false)."""
        registry = self._plugins.registry.get() if wait else self._plugins.registry.peek()
        if registry is None:
            return {}
        found: dict[str, Plugin] = {}
        for name in registry.enabled(persona):
            try:
                found[name] = registry.get(name)
            except NotFound:  # uninstalled meanwhile
                continue
        return found

    def installed(self, name: str) -> bool:
        """Whether a plugin of that name is installed."""
        try:
            self._plugins.registry.get().get(name)
        except NotFound:
            return False
        return True

    def call(self, persona: str, plugin: str, function: str, args: dict[str, Any]) -> Outcome:
        """Run the function as plugin.call runs it; its failure is an outcome, not raised."""
        try:
            reply = self._plugins.runtime.get().call(persona, plugin, function, args, None)
        except HubError as exc:
            helps = exc.data.get("hint")
            return Outcome(error=exc.message, helps=helps if isinstance(helps, str) else None)
        return Outcome(result=reply["result"])


def render(result: Any) -> str:
    """A result as text: text as it is, anything else as JSON (indented when long)."""
    if isinstance(result, str):
        text = result
    else:
        text = json.dumps(result, ensure_ascii=False, default=_plain)
        if len(text) > COMPACT:
            text = json.dumps(result, ensure_ascii=False, default=_plain, indent=2)
    if len(text) > MAX_OUTPUT:
        text = f"{text[:MAX_OUTPUT]}… (cut at {MAX_OUTPUT} of {len(text)} characters)"
    return text


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return repr(value)
