"""Memory in the loop: chat turns become memories of the persona, and later prompts show them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pajamas.rpc.client import Subscriber
from tests.chat.conftest import CARD, Events
from tests.chat.fake_openai import FakeOpenAI
from tests.conftest import RunningCore, start, stop


@pytest.fixture
def memory_core(home: Path, model_dir: Path) -> Iterator[RunningCore]:
    # A longer shutdown than the tests' default: this core closes a memory store too.
    running = start(home, PAJAMAS_EMBEDDING_MODEL_DIR=str(model_dir),
                    PAJAMAS_REQUEST_TIMEOUT_S="30", PAJAMAS_SHUTDOWN_TIMEOUT_S="15")
    yield running
    assert stop(running.process) == 0, (home / "logs" / "core.out").read_text()


def test_turns_are_remembered_and_recalled_in_another_conversation(
        memory_core: RunningCore, fake: FakeOpenAI) -> None:
    client = memory_core.client(timeout=60)
    events = Events(memory_core)
    changes = Subscriber(memory_core.info, ("memory.changed",))
    try:
        persona = client.call("persona.import", {"card": CARD})["id"]
        client.call("provider.add", {"id": "fake", "base_url": fake.base_url, "default": True})
        first = client.call("chat.create", {"persona": persona})["id"]
        sent = client.call("chat.send", {"conversation": first,
                                         "text": "My cat is called Biscuit."})
        events.reply(sent["reply"])
        assert changes.receive(timeout=120) is not None  # the turn, added to memory
        remembered = client.call("memory.list", {"persona": persona})["items"]
        by_role = {m["metadata"]["role"]: m for m in remembered}
        assert by_role["user"]["text"] == "User: My cat is called Biscuit."
        assert by_role["user"]["thread"] == by_role["assistant"]["thread"] == first
        assert by_role["user"]["at"] == sent["message"]["created_at"]
        assert by_role["user"]["metadata"]["message"] == sent["message"]["id"]
        assert by_role["assistant"]["text"] == "Aqua: Hello there, friend."
        assert by_role["assistant"]["metadata"]["message"] == sent["reply"]
        second = client.call("chat.create", {"persona": persona})["id"]
        shown = client.call("chat.prompt", {"conversation": second,
                                            "text": "What is my cat called?"})
        memories = next(m["content"] for m in shown["messages"] if "remember" in m["content"])
        assert re.search(r"- \[\d{4}-\d\d-\d\d\] User: My cat is called Biscuit\.", memories)
        assert next(s for s in shown["sections"] if s["name"] == "memories")["tokens"] > 0
        asked = client.call("chat.send", {"conversation": second,
                                          "text": "What is my cat called?"})
        events.reply(asked["reply"])
        reply = client.call("chat.messages", {"conversation": second})["items"][-1]
        assert by_role["user"]["id"] in reply["memories"]
        # The turns of a conversation's own history are not shown again as memories.
        own = client.call("chat.prompt", {"conversation": first, "text": "And my cat?"})
        assert not any("remember" in m["content"] and "Biscuit" in m["content"]
                       for m in own["messages"])
    finally:
        changes.close()
        events.close()
        client.close()


def test_a_prompt_does_not_wait_for_the_memory_to_open(home: Path, model_dir: Path) -> None:
    # No preload: the memory store opens only when a call needs it.
    core = start(home, PAJAMAS_EMBEDDING_MODEL_DIR=str(model_dir), PAJAMAS_MEMORY_PRELOAD="false",
                 PAJAMAS_REQUEST_TIMEOUT_S="120", PAJAMAS_SHUTDOWN_TIMEOUT_S="15")
    try:
        with core.client(timeout=120) as client:
            persona = client.call("persona.import", {"card": CARD})["id"]
            conversation = client.call("chat.create", {"persona": persona})["id"]
            # The first add loads the model and is journaled; the store (LanceDB's import,
            # a second or more) starts opening behind it.
            client.call("memory.add", {"persona": persona, "text": "User: my cat is Biscuit"})
            asked = {"conversation": conversation, "text": "What is my cat called?"}
            assert _memory_tokens(client.call("chat.prompt", asked)) == 0  # it did not wait
            # A search waits for the store; the next prompt finds the memory.
            assert client.call("memory.search", {"persona": persona, "query": "cat"})["total"]
            assert _memory_tokens(client.call("chat.prompt", asked)) > 0
    finally:
        assert stop(core.process) == 0, (home / "logs" / "core.out").read_text()


def _memory_tokens(prompt: dict[str, Any]) -> int:
    tokens: int = next(s for s in prompt["sections"] if s["name"] == "memories")["tokens"]
    return tokens
