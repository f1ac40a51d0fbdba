"""Chat fixtures: a fake OpenAI server, a core that uses it, and a reader of chat events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from pajamas import launcher
from pajamas.rpc.client import Client, Subscriber
from tests.chat.fake_openai import FakeOpenAI
from tests.conftest import RunningCore, start
from tests.plugins.running import plugin_core

CARD = {
    "spec": "chara_card_v2", "spec_version": "2.0",
    "data": {
        "name": "Aqua", "description": "A goddess of water.", "personality": "cheerful",
        "scenario": "{{user}} meets {{char}} at the guild.",
        "first_mes": "Hi, I am {{char}}!", "alternate_greetings": ["Yo!", "Hey there."],
        "mes_example": "<START>\n{{user}}: Who are you?\n{{char}}: The goddess Aqua!",
        "system_prompt": "", "post_history_instructions": "Answer in one sentence.",
        "creator_notes": "", "tags": [], "creator": "", "character_version": "",
        "extensions": {},
        "character_book": {"scan_depth": 2, "token_budget": 200, "entries": [
            {"keys": ["axis"], "content": "The Axis Order worships {{char}}.",
             "enabled": True, "insertion_order": 10, "constant": False},
            {"keys": [], "content": "Aqua cannot swim well.", "enabled": True,
             "insertion_order": 5, "constant": True, "position": "before_char"},
        ]},
    },
}


class Events:
    """The chat events of a core, read once the subscription is live."""

    def __init__(self, core: RunningCore) -> None:
        self.sub = Subscriber(core.info, ("chat.", "monitor.sample"))
        # zmq's slow joiner: the core samples every 0.2 s in tests, so a sample proves the
        # subscription reached it.
        while (event := self.sub.receive(timeout=30)) is not None:
            if event.topic == "monitor.sample":
                break

    def reply(self, message: str, timeout: float = 60) -> tuple[list[str], dict[str, Any]]:
        """The deltas of the reply message and its chat.done."""
        deltas: list[str] = []
        while (event := self.sub.receive(timeout=timeout)) is not None:
            if event.data.get("message") != message:
                continue
            if event.topic == "chat.delta":
                deltas.append(event.data["delta"])
            elif event.topic == "chat.done":
                return deltas, event.data
        raise AssertionError(f"no chat.done for {message} within {timeout} s")

    def next(self, *topics: str, timeout: float = 60) -> tuple[str, dict[str, Any]]:
        """The topic and data of the next event of one of topics (others are passed over)."""
        while (event := self.sub.receive(timeout=timeout)) is not None:
            if event.topic in topics:
                return event.topic, dict(event.data)
        raise AssertionError(f"none of {topics} within {timeout} s")

    def first_delta(self, message: str, timeout: float = 60) -> str:
        while (event := self.sub.receive(timeout=timeout)) is not None:
            if event.topic == "chat.delta" and event.data["message"] == message:
                return str(event.data["delta"])
        raise AssertionError(f"no chat.delta for {message}")

    def close(self) -> None:
        self.sub.close()


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    server.close()


@pytest.fixture
def chat_core(home: Any) -> Iterator[RunningCore]:
    """A core without memory in the chat loop, quick to call a stall."""
    running = start(home, PAJAMAS_CHAT_MEMORY="0", PAJAMAS_CHAT_STALL_S="1.0",
                    PAJAMAS_REQUEST_TIMEOUT_S="20")
    yield running
    assert launcher.stop_core(running.process) == 0, (home / "logs" / "core.out").read_text()


@contextmanager
def chat_plugin_core(home: Path) -> Iterator[RunningCore]:
    """A core for chats that call plugins: room for plugin calls (tests/plugins/running.py),
    no memory in the chat loop and no model loading in the background."""
    with plugin_core(home, PAJAMAS_CHAT_MEMORY="0", PAJAMAS_MEMORY_PRELOAD="0",
                     PAJAMAS_CHAT_STALL_S="5.0") as running:
        yield running


@pytest.fixture
def chat(chat_core: RunningCore) -> Iterator[Client]:
    with chat_core.client(timeout=30) as c:
        yield c


@pytest.fixture
def events(chat_core: RunningCore) -> Iterator[Events]:
    reader = Events(chat_core)
    yield reader
    reader.close()


@pytest.fixture
def persona(chat: Client) -> str:
    return str(chat.call("persona.import", {"card": CARD})["id"])


@pytest.fixture
def conversation(chat: Client, fake: FakeOpenAI, persona: str) -> str:
    chat.call("provider.add", {"id": "fake", "base_url": fake.base_url, "model": "fake-model",
                               "context_tokens": 4096})
    return str(chat.call("chat.create", {"persona": persona, "provider": "fake"})["id"])
