"""A provider that misbehaves ends the reply with finish_reason "error" and a clear message."""

from __future__ import annotations

import pytest

from pajamas.rpc.client import Client
from tests.chat.conftest import Events
from tests.chat.fake_openai import FakeOpenAI

CASES = [
    ("401", "answered HTTP 401: it refused the API key", ""),
    ("500", "answered HTTP 500: the server failed", ""),
    ("cut", "before the reply was finished", "Hello there"),
    ("malformed", "sent a malformed stream chunk", "Hello"),
    ("stall", "sent nothing for too long", "Hello"),
]


@pytest.mark.parametrize(("mode", "message", "partial"), CASES,
                         ids=[case[0] for case in CASES])
def test_a_misbehaving_provider_ends_the_reply_with_an_error(
        chat: Client, events: Events, fake: FakeOpenAI, conversation: str, *, mode: str,
        message: str, partial: str) -> None:
    fake.mode = mode
    sent = chat.call("chat.send", {"conversation": conversation, "text": "Hi"})
    deltas, done = events.reply(sent["reply"])
    assert done["finish_reason"] == "error"
    assert message in done["error"] and "'fake'" in done["error"]
    assert done["text"] == "".join(deltas) == partial
    assert chat.call("system.ping")["pong"] is True
    fake.release.set()  # lets a stalled handler go
    fake.mode = "ok"
    again = chat.call("chat.send", {"conversation": conversation, "text": "Hi again"})
    assert events.reply(again["reply"])[1]["finish_reason"] == "stop"


def test_a_server_that_is_not_there_ends_the_reply_with_an_error(
        chat: Client, events: Events, persona: str) -> None:
    chat.call("provider.add", {"id": "gone", "base_url": "http://127.0.0.1:9/v1"})
    conversation = chat.call("chat.create", {"persona": persona, "provider": "gone"})["id"]
    sent = chat.call("chat.send", {"conversation": conversation, "text": "Hi"})
    _, done = events.reply(sent["reply"])
    assert done["finish_reason"] == "error" and "could not connect" in done["error"]
