"""Plugins as tools: a reply offers the persona's plugins to the model, and runs its calls.

With a provider that takes tool calls (`tools`), every function of the persona's enabled
plugins that declares `params` is offered as an OpenAI tool named ``plugin__function`` (cut
to OpenAI's rule, 64 of ``[A-Za-z0-9_-]``).  When the model asks for calls, each is decided
(a standing grant, else the user's answer through `Consents`), run as plugin.call runs it,
recorded on the reply (`ToolRecord`, published as `chat.tool_result`), and answered to the
model as a `tool` message; the reply then goes on streaming.  After `MAX_ROUNDS` rounds of
calls the model is asked to answer without tools.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final

from pajamas.chat.calls import Outcome
from pajamas.chat.client import Request, ToolCall

if TYPE_CHECKING:
    from pajamas.chat.calls import PluginCalls
    from pajamas.chat.consent import Consents
    from pajamas.chat.grants import ToolGrants
    from pajamas.chat.model import Decision, ToolRecord
    from pajamas.chat.replies import Reply
    from pajamas.context import Publish
    from pajamas.plugins.model import Plugin

MAX_ROUNDS: Final = 4
MAX_NAME: Final = 64
_NOT_NAME: Final = re.compile(r"[^A-Za-z0-9_-]")
_SAID: Final[dict[str, str]] = {
    "declined": "The user declined this call; do not call it again for this message.",
    "cancelled": "The reply was stopped before this call ran.",
    "skipped": "This call was not run.",
}


@dataclass(frozen=True)
class Tool:
    """A plugin function offered to the model under `name`."""

    name: str
    plugin: str
    function: str
    spec: dict[str, Any]


def tool_name(plugin: str, function: str) -> str:
    """The tool's name: plugin__function within OpenAI's rule (a digest keeps a cut one
    unique)."""
    name = _NOT_NAME.sub("_", f"{plugin}__{function}")
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[:MAX_NAME - 9]}_{digest}"


def offer(enabled: Mapping[str, Plugin]) -> dict[str, Tool]:
    """The tools of the enabled plugins, by name: each function that declares params."""
    tools: dict[str, Tool] = {}
    for plugin, found in sorted(enabled.items()):
        for function, declared in sorted(found["functions"].items()):
            params = declared.get("params")
            if params is None:
                continue
            name = tool_name(plugin, function)
            tools[name] = Tool(name, plugin, function, {"type": "function", "function": {
                "name": name, "description": f"{declared['description']} (plugin {plugin})",
                "parameters": params}})
    return tools


@dataclass
class Toolbox:
    """One reply's tools and what it takes to run their calls."""

    persona: str
    tools: dict[str, Tool]
    calls: PluginCalls
    grants: ToolGrants
    consents: Consents
    publish: Publish
    rounds: int = 0
    specs: list[dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.specs = [tool.spec for tool in self.tools.values()]

    def follow(self, reply: Reply, request: Request, said: str,
               calls: tuple[ToolCall, ...]) -> Request | None:
        """The request that goes on after the model's calls, each decided and run; None
        when the reply ends here (stopped, or the rounds are spent)."""
        self.rounds += 1
        spent = self.rounds > MAX_ROUNDS or not request.tools or request.tool_choice == "none"
        answers = [self._answer(reply, call, skip=spent) for call in calls]
        if spent or reply.cancelled.is_set():
            return None
        asked = {"role": "assistant", "content": said or None, "tool_calls": [
            {"id": c.id, "type": "function",
             "function": {"name": c.name, "arguments": c.arguments}} for c in calls]}
        results = [{"role": "tool", "tool_call_id": c.id, "content": text}
                   for c, text in zip(calls, answers, strict=True)]
        last = self.rounds == MAX_ROUNDS
        return replace(request, messages=[*request.messages, asked, *results],
                       tool_choice="none" if last else None)

    def _answer(self, reply: Reply, call: ToolCall, *, skip: bool) -> str:
        """Decide and run one call; what the model is told of it."""
        tool = self.tools.get(call.name)
        if tool is None:
            return f"There is no tool named {call.name!r}; the tools are " \
                   f"{', '.join(self.tools)}."
        arguments = _arguments(call.arguments)
        if arguments is None:
            self._record(reply, call, tool, {}, decision="skipped", outcome=Outcome(
                error=f"the model's arguments are not a JSON object: {call.arguments[:200]!r}"))
            return "The arguments must be a JSON object matching the tool's parameters."
        decision = "skipped" if skip else self._decide(reply, tool, call, arguments)
        if decision not in ("once", "always", "granted"):
            self._record(reply, call, tool, arguments, decision=decision,
                         outcome=Outcome(ran=False))
            return _SAID[decision]
        outcome = self.calls.call(self.persona, tool.plugin, tool.function, arguments)
        self._record(reply, call, tool, arguments, decision=decision, outcome=outcome)
        return outcome.output() or f"The call failed: {outcome.error}"

    def _decide(self, reply: Reply, tool: Tool, call: ToolCall,
                arguments: dict[str, Any]) -> Decision:
        if reply.cancelled.is_set():
            return "cancelled"
        if self.grants.has(self.persona, tool.plugin):
            return "granted"
        answer = self.consents.ask(reply, call.id, tool.plugin, tool.function, arguments)
        if answer == "always":
            self.grants.grant(self.persona, tool.plugin)
        return answer

    def _record(self, reply: Reply, call: ToolCall, tool: Tool, arguments: dict[str, Any], *,
                decision: Decision, outcome: Outcome) -> None:
        record: ToolRecord = outcome.record(call.id, tool.plugin, tool.function, arguments,
                                            decision)
        reply.tools.append(record)
        self.publish("chat.tool_result", {"conversation": reply.conversation,
                                          "message": reply.message, **record})


def _arguments(text: str) -> dict[str, Any] | None:
    try:
        found = json.loads(text or "{}")
    except json.JSONDecodeError:
        return None
    return found if isinstance(found, dict) else None
