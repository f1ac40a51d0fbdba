"""Plugins as tools: a provider that takes tool calls is offered the persona's plugins; the
model's calls wait for the user's decision (once, always, decline), run in the real sandboxed
hosts, and go back to the model as it streams on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pajamas.errors import InvalidParams, NotFound
from pajamas.rpc.client import Client
from tests.chat.conftest import Events, chat_plugin_core
from tests.chat.fake_openai import FakeOpenAI
from tests.conftest import RunningCore
from tests.plugins.conftest import TEXT_STATS
from tests.plugins.running import install

COUNT = {"type": "function", "function": {
    "name": "text-stats__count",
    "description": "Count the words and sentences in a text. (plugin text-stats)",
    "parameters": {"type": "object", "required": ["text"], "properties": {
        "text": {"type": "string", "description": "The text to count."}}}}}


@pytest.fixture
def chat_core(home: Path) -> Iterator[RunningCore]:
    with chat_plugin_core(home) as running:
        yield running


@pytest.fixture
def tooled(chat: Client, conversation: str, persona: str) -> str:
    """The conversation, its provider taking tool calls, text-stats enabled for the persona."""
    chat.call("provider.update", {"id": "fake", "tools": True})
    install(chat, TEXT_STATS, persona)
    return conversation


def call(n: int, text: str = "One two. Three.") -> list[dict[str, str]]:
    return [{"id": f"call_{n}", "name": "text-stats__count",
             "arguments": json.dumps({"text": text})}]


def send(chat: Client, conversation: str, text: str = "Count my words") -> str:
    return str(chat.call("chat.send", {"conversation": conversation, "text": text})["reply"])


def asked(events: Events) -> dict[str, Any]:
    """The next chat.tool_request (a chat.tool_result before it fails the test)."""
    topic, data = events.next("chat.tool_request", "chat.tool_result")
    assert topic == "chat.tool_request", data
    return data


def decided(chat: Client, events: Events, fake: FakeOpenAI, conversation: str,
            decision: str) -> dict[str, Any]:
    """A message whose model asks for one call, answered with decision: its chat.done."""
    fake.tool_rounds = [call(1)]
    reply = send(chat, conversation)
    asked(events)
    chat.call("chat.tool_decide", {"conversation": conversation, "call": "call_1",
                                   "decision": decision})
    return events.reply(reply)[1]


def test_the_persona_s_plugins_are_offered_as_tools_only_to_providers_that_take_them(
        chat: Client, events: Events, fake: FakeOpenAI, conversation: str,
        persona: str) -> None:
    install(chat, TEXT_STATS, persona)
    events.reply(send(chat, conversation))
    assert "tools" not in fake.requests[0]
    chat.call("provider.update", {"id": "fake", "tools": True})
    events.reply(send(chat, conversation))
    assert fake.requests[1]["tools"] == [COUNT] and "tool_choice" not in fake.requests[1]


def test_a_call_allowed_once_runs_in_the_plugin_and_the_reply_streams_on(
        chat: Client, events: Events, fake: FakeOpenAI, tooled: str, persona: str) -> None:
    fake.tool_rounds = [call(1)]
    reply = send(chat, tooled)
    request = asked(events)
    assert request == {"conversation": tooled, "message": reply, "call": "call_1",
                     "plugin": "text-stats", "function": "count",
                     "arguments": {"text": "One two. Three."}}
    assert chat.call("chat.tool_pending", {"conversation": tooled})["items"] == [request]
    with pytest.raises(InvalidParams):
        chat.call("chat.tool_decide", {"conversation": tooled, "call": "call_1",
                                       "decision": "maybe"})
    with pytest.raises(NotFound):
        chat.call("chat.tool_decide", {"conversation": tooled, "call": "call_9",
                                       "decision": "once"})
    assert chat.call("chat.tool_decide", {"conversation": tooled, "call": "call_1",
                                          "decision": "once"}) == {"decided": True}
    _, result = events.next("chat.tool_result")
    assert result["decision"] == "once" and result["message"] == reply
    deltas, done = events.reply(reply)
    assert deltas == fake.words and done["finish_reason"] == "stop"
    output = json.dumps({"words": 3, "sentences": 2})
    [record] = done["tools"]
    assert record == {"call": "call_1", "plugin": "text-stats", "function": "count",
                      "arguments": {"text": "One two. Three."}, "decision": "once",
                      "output": output, "error": None, "hint": None}
    first, second = fake.requests
    assert second["messages"][:-2] == first["messages"]
    assert second["messages"][-2]["tool_calls"] == [{"id": "call_1", "type": "function",
                                                     "function": {
                                                         "name": "text-stats__count",
                                                         "arguments": call(1)[0]["arguments"]}}]
    assert second["messages"][-1] == {"role": "tool", "tool_call_id": "call_1",
                                      "content": output}
    stored = chat.call("chat.messages", {"conversation": tooled})["items"][-1]
    assert stored["id"] == reply and stored["tools"] == [record]
    assert stored["text"] == "".join(fake.words)
    assert chat.call("chat.tool_grants", {"persona": persona})["items"] == []


def test_a_declined_call_is_not_run_and_the_model_is_told(
        chat: Client, events: Events, fake: FakeOpenAI, tooled: str) -> None:
    done = decided(chat, events, fake, tooled, "decline")
    [record] = done["tools"]
    assert record["decision"] == "declined" and record["output"] is None
    assert "declined" in fake.requests[1]["messages"][-1]["content"]
    assert chat.call("plugin.status", {})["items"] == []  # no host ever started


def test_always_is_remembered_per_persona_and_plugin_until_revoked(
        chat: Client, events: Events, fake: FakeOpenAI, tooled: str, persona: str) -> None:
    assert decided(chat, events, fake, tooled, "always")["tools"][0]["decision"] == "always"
    [grant] = chat.call("chat.tool_grants", {"persona": persona})["items"]
    assert grant["plugin"] == "text-stats" and grant["granted_at"] > 0
    fake.tool_rounds = [call(2, "Four five six.")]
    reply = send(chat, tooled)
    topic, result = events.next("chat.tool_request", "chat.tool_result")
    assert topic == "chat.tool_result", result  # not asked again
    assert result["decision"] == "granted" and result["call"] == "call_2"
    assert json.loads(result["output"]) == {"words": 3, "sentences": 1}
    events.reply(reply)
    assert chat.call("chat.tool_revoke", {"persona": persona,
                                          "plugin": "text-stats"}) == {"revoked": True}
    assert chat.call("chat.tool_revoke", {"persona": persona,
                                          "plugin": "text-stats"}) == {"revoked": False}
    assert chat.call("chat.tool_grants", {"persona": persona})["items"] == []


def test_stop_while_waiting_for_a_decision_cancels_the_call(
        chat: Client, events: Events, fake: FakeOpenAI, tooled: str) -> None:
    fake.tool_rounds = [call(1)]
    reply = send(chat, tooled)
    asked(events)
    assert chat.call("chat.stop", {"conversation": tooled}) == {"stopped": True}
    _, done = events.reply(reply)
    assert done["finish_reason"] == "cancelled"
    assert [r["decision"] for r in done["tools"]] == ["cancelled"]
    with pytest.raises(NotFound):
        chat.call("chat.tool_decide", {"conversation": tooled, "call": "call_1",
                                       "decision": "once"})
    assert chat.call("chat.tool_pending", {"conversation": tooled})["items"] == []
    assert len(fake.requests) == 1


def test_rounds_of_calls_are_bounded_then_the_model_must_answer(
        chat: Client, events: Events, fake: FakeOpenAI, tooled: str, persona: str) -> None:
    fake.tool_rounds = [call(n, f"Round {n}.") for n in range(1, 6)]
    reply = send(chat, tooled)
    asked(events)
    chat.call("chat.tool_decide", {"conversation": tooled, "call": "call_1",
                                   "decision": "always"})
    _, done = events.reply(reply)
    decisions: list[Any] = [r["decision"] for r in done["tools"]]
    assert decisions == ["always", "granted", "granted", "granted", "skipped"]
    assert len(fake.requests) == 5
    assert [r.get("tool_choice") for r in fake.requests] == [None, None, None, None, "none"]
