"""The memory store tells the persona library how many memories each persona has, after each
write, from its in-memory index (persona.list never opens a table)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pajamas.rpc.client import Client
from tests.conftest import PATIENCE_S, LiveSubscriber
from tests.memory.stores import memory_core


def listed(client: Client, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.call("persona.list", params)["items"]
    return items


def wait_for_count(client: Client, changes: LiveSubscriber, persona: str,
                   count: int) -> dict[str, Any]:
    """The persona's list row once it shows count: the count lands after the commit, which
    publishes persona.changed ("memories")."""
    while True:
        row = next(p for p in listed(client) if p["id"] == persona)
        if row["memory_count"] == count:
            return row
        event = changes.receive(timeout=PATIENCE_S)
        assert event is not None, f"no persona.changed; the row is still {row}"


def test_memory_counts_reach_the_library_and_its_sort(tmp_path: Path, model_dir: Path) -> None:
    with memory_core(tmp_path / "home", model_dir) as client:
        changes = LiveSubscriber(client.info, ("persona.changed",))
        ada = client.call("persona.create", {"name": "Ada"})["id"]
        bob = client.call("persona.create", {"name": "Bob"})["id"]
        assert [p["memory_count"] for p in listed(client)] == [None, None]
        client.call("memory.add_batch", {"persona": bob, "items": [
            {"text": "Bob builds a shed."}, {"text": "Bob likes tea."}]})
        row = wait_for_count(client, changes, bob, 2)
        assert row["memory_count"] == 2 and row["last_used_at"] is not None
        assert [p["name"] for p in listed(client, sort="memories")] == ["Bob", "Ada"]
        first = client.call("memory.list", {"persona": bob, "limit": 1})["items"][0]
        client.call("memory.delete", {"persona": bob, "id": first["id"]})
        assert wait_for_count(client, changes, bob, 1)["memory_count"] == 1
        assert client.call("persona.usage", {"id": bob})["memories"] == 1
        assert client.call("persona.usage", {"id": ada})["memories"] is None
        changes.close()
