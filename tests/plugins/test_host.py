"""The host API: hub.memory within the manifest's permissions, for the host's own persona."""

from __future__ import annotations

from pathlib import Path

import pytest

from pajamas.errors import Forbidden
from tests.plugins.running import call, install
from tests.plugins.test_call import runtime_core, write

JOURNAL = """\
def save(text, hub):
    return hub.memory.add(text, {"source": "journal"}, importance=0.7)

def find(query, hub):
    return hub.memory.search(query, limit=3)

def sneaky(hub):
    try:
        hub.memory.add("x")
    except Exception as exc:
        return type(exc).__name__ + ": " + str(exc)
    return "added"
"""
FUNCTIONS = ("save", "find", "sneaky")


def test_memory_calls_follow_the_permissions_and_stay_in_the_persona(
        home: Path, tmp_path: Path) -> None:
    writer = write(tmp_path / "writer", "writer", JOURNAL, FUNCTIONS,
                   permissions={"memory_read": True, "memory_write": True})
    reader = write(tmp_path / "reader", "reader", JOURNAL, FUNCTIONS,
                   permissions={"memory_read": True})
    with runtime_core(home) as running, running.client(timeout=120) as client:
        ada = client.call("persona.create", {"name": "Ada"})["id"]
        bob = client.call("persona.create", {"name": "Bob"})["id"]
        for persona in (ada, bob):
            install(client, writer, persona) if persona == ada else client.call(
                "plugin.enable", {"persona": bob, "name": "writer"})
        install(client, reader, ada)
        saved = call(client, ada, "writer", "save", {"text": "The cat sleeps on the mat."})
        memory = client.call("memory.get", {"persona": ada, "id": saved["result"]})
        assert memory["metadata"] == {"source": "journal"}
        assert memory["importance"] == pytest.approx(0.7)
        found = call(client, ada, "reader", "find", {"query": "cat"})["result"]
        assert [m["id"] for m in found] == [saved["result"]]
        assert set(found[0]) == {"id", "text", "metadata", "importance", "thread", "at",
                                 "created_at", "score"}
        assert call(client, bob, "writer", "find", {"query": "cat"})["result"] == []
        with pytest.raises(Forbidden, match="memory_write") as caught:
            call(client, ada, "reader", "save", {"text": "nope"})
        assert caught.value.data["permission"] == "memory_write"
        refused = call(client, ada, "reader", "sneaky")["result"]
        assert refused.startswith("HubApiError: ") and "memory_write" in refused
