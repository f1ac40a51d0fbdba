"""Slash commands: `/plugin function {args}` in chat.send calls an enabled plugin, through the
real runtime and its sandboxed host, and stores the outcome as a system message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pajamas.errors import InvalidParams
from pajamas.rpc.client import Client
from tests.chat.conftest import Events, chat_plugin_core
from tests.chat.fake_openai import FakeOpenAI
from tests.conftest import RunningCore
from tests.plugins.conftest import ROOT, TEXT_STATS
from tests.plugins.running import install


@pytest.fixture
def chat_core(home: Path) -> Iterator[RunningCore]:
    with chat_plugin_core(home) as running:
        yield running


@pytest.fixture
def stats(chat: Client, persona: str) -> str:
    """text-stats, installed and enabled for the persona."""
    return str(install(chat, TEXT_STATS, persona)["name"])


def messages(chat: Client, conversation: str) -> list[dict[str, Any]]:
    return list(chat.call("chat.messages", {"conversation": conversation})["items"])


def test_a_command_calls_the_plugin_and_stores_its_result_as_a_system_message(
        chat: Client, fake: FakeOpenAI, conversation: str, stats: str) -> None:
    text = '/text-stats count {"text": "Hi there. Bye."}'
    sent = chat.call("chat.send", {"conversation": conversation, "text": text})
    assert sent["message"]["role"] == "user" and sent["message"]["text"] == text
    system = sent["system"]
    assert sent["reply"] == system["id"] and system["role"] == "system"
    assert system["text"] == '/text-stats count: {"words": 3, "sentences": 2}'
    [record] = system["tools"]
    assert record == {"call": "", "plugin": "text-stats", "function": "count",
                      "arguments": {"text": "Hi there. Bye."}, "decision": "command",
                      "output": json.dumps({"words": 3, "sentences": 2}), "error": None,
                      "hint": None}
    stored = messages(chat, conversation)
    assert [m["role"] for m in stored] == ["assistant", "user", "system"]
    assert stored[-1] == system and stored[0]["tools"] == []
    assert fake.requests == []  # no model reply


def test_a_short_form_from_the_manifest_calls_its_function(
        chat: Client, conversation: str, stats: str) -> None:
    sent = chat.call("chat.send", {"conversation": conversation,
                                   "text": '/stats {"text": "One two three."}'})
    assert sent["system"]["tools"][0]["function"] == "count"
    assert sent["system"]["text"].endswith('{"words": 3, "sentences": 1}')


def test_a_failing_call_is_stored_with_the_plugin_s_error(
        chat: Client, conversation: str, stats: str) -> None:
    sent = chat.call("chat.send", {"conversation": conversation, "text": "/stats"})
    [record] = sent["system"]["tools"]
    assert record["output"] is None and "text" in record["error"]  # count() needs text
    assert sent["system"]["text"].startswith("/text-stats count: text-stats count failed: ")


@pytest.mark.parametrize(("text", "says"), [
    ("/nope run {}", "no plugin or command named 'nope' is enabled"),
    ("/text-stats nope {}", "plugin 'text-stats' has no function 'nope'; it has count"),
    ("/text-stats", "/text-stats needs a function"),
    ('/stats {"text": }', "are not valid JSON"),
    ("/stats [1, 2]", "must be a JSON object"),
    ("/calculator evaluate {}", "plugin 'calculator' is not enabled for this persona"),
    ("/ count", "a command is /PLUGIN FUNCTION"),
])
def test_a_command_that_cannot_be_read_is_refused_and_stores_nothing(
        chat: Client, conversation: str, stats: str, text: str, says: str) -> None:
    chat.call("plugin.install", {"path": str(ROOT / "plugins" / "calculator")})
    before = messages(chat, conversation)
    with pytest.raises(InvalidParams, match=says) as caught:
        chat.call("chat.send", {"conversation": conversation, "text": text})
    assert caught.value.data["field"] == "text"
    if "calculator" in text:
        assert caught.value.data["hint"] == "plugin.enable"
    assert messages(chat, conversation) == before


def test_two_slashes_send_a_text_that_begins_with_one(
        chat: Client, events: Events, fake: FakeOpenAI, conversation: str, stats: str) -> None:
    sent = chat.call("chat.send", {"conversation": conversation, "text": "//stats are fun"})
    assert sent["message"]["text"] == "/stats are fun" and "system" not in sent
    _, done = events.reply(sent["reply"])
    assert done["finish_reason"] == "stop"
    [request] = fake.requests
    assert {"role": "user", "content": "/stats are fun"} in request["messages"]
