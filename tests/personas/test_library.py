"""The library through a real core: persona.list's search, sort and filters over light rows,
the whole card read and written, many files imported as a task, and persona.changed."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from pajamas.errors import InvalidParams
from pajamas.personas.png import read_png_card, write_png_card
from pajamas.rpc.client import Client
from tests.conftest import PATIENCE_S, RunningCore
from tests.memory.stores import finished
from tests.personas.conftest import SHIPPED, shipped_blob

ITEM_KEYS = {"id", "name", "summary", "tags", "favourite", "memory_count", "last_used_at",
             "thumbnail", "created_at", "updated_at"}
# The smallest PNG: a 1x1 image, small enough to be its own thumbnail.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def names(page: dict[str, Any]) -> list[str]:
    return [item["name"] for item in page["items"]]


def test_list_rows_are_light_and_search_sort_and_filter(client: Client) -> None:
    ada = client.call("persona.create", {"name": "Ada", "description": "counts\nand more",
                                         "tags": ["maths", "Victorian"]})
    client.call("persona.create", {"name": "Bob", "description": "a builder",
                                   "tags": ["fiction"]})
    client.call("persona.create", {"name": "Cy", "system_prompt": "x" * 10_000,
                                   "tags": ["fiction", "maths"]})
    page = client.call("persona.list", {})
    assert set(page["items"][0]) == ITEM_KEYS and page["items"][0]["summary"] == "counts"
    assert names(client.call("persona.list", {"query": "build"})) == ["Bob"]
    assert names(client.call("persona.list", {"query": "victorian"})) == ["Ada"]
    assert names(client.call("persona.list", {"tags_include": ["MATHS"]})) == ["Ada", "Cy"]
    assert names(client.call("persona.list", {"tags_include": ["maths"],
                                              "tags_exclude": ["fiction"]})) == ["Ada"]
    assert names(client.call("persona.list", {"sort": "created"})) == ["Cy", "Bob", "Ada"]
    assert names(client.call("persona.list", {"sort": "name", "descending": True})) == [
        "Cy", "Bob", "Ada"]
    client.call("persona.update", {"id": ada["id"], "favourite": True})
    favourites = client.call("persona.list", {"favourite": True})
    assert names(favourites) == ["Ada"] and favourites["total"] == 1
    tags = client.call("persona.tags", {})
    assert tags["items"][:2] == [{"tag": "maths", "count": 2}, {"tag": "fiction", "count": 2}] \
        or tags["items"][:2] == [{"tag": "fiction", "count": 2}, {"tag": "maths", "count": 2}]
    with pytest.raises(InvalidParams) as bad:
        client.call("persona.list", {"sort": "age"})
    assert bad.value.field == "sort"


def test_every_card_field_is_read_and_written(client: Client) -> None:
    persona = client.call("persona.create", {"name": "Wren"})
    book = {"name": "lore", "entries": [
        {"keys": ["harbour"], "content": "The harbour froze.", "enabled": True,
         "insertion_order": 10, "priority": 5, "constant": False, "position": "before_char"}]}
    data = {"name": "Wren A", "description": "a keeper", "personality": "calm",
            "scenario": "a lighthouse", "first_mes": "Hello.", "mes_example": "<START>",
            "creator_notes": "notes", "system_prompt": "Be Wren.",
            "post_history_instructions": "stay", "alternate_greetings": ["Hi.", "Evening."],
            "character_book": book, "tags": ["sea"], "creator": "me",
            "character_version": "2", "extensions": {"talkativeness": "0.5"}}
    updated = client.call("persona.update", {"id": persona["id"], "card": data,
                                             "avatar": "data:image/png;base64,"
                                             + base64.b64encode(TINY_PNG).decode()})
    assert updated["name"] == "Wren A" and updated["tags"] == ["sea"]
    assert updated["thumbnail"].startswith("data:image/png;base64,")
    card = client.call("persona.card", {"id": persona["id"]})
    assert card["card"]["data"] == data
    assert base64.b64decode(card["avatar"].split(",", 1)[1]) == TINY_PNG
    png = client.call("persona.export", {"id": persona["id"], "format": "png"})
    assert read_png_card(base64.b64decode(png["png"]))["data"] == data
    with pytest.raises(InvalidParams) as bad:
        client.call("persona.update", {"id": persona["id"], "card": {
            "character_book": {"entries": [{"keys": ["a"], "enabled": "yes"}]}}})
    assert "enabled" in str(bad.value)


def test_many_files_import_as_a_task_with_a_result_per_file(client: Client) -> None:
    other = write_png_card({"spec": "chara_card_v2", "spec_version": "2.0",
                            "data": {"name": "Other", "tags": ["x"]}})
    files = [{"name": SHIPPED["v2_png"], "data": shipped_blob("v2_png")},
             {"name": "other.png", "data": base64.b64encode(other).decode()},
             {"name": SHIPPED["v2_json"], "data": shipped_blob("v2_json")},
             {"name": "notes.txt", "data": b"just some notes"}]
    done = finished(client, client.call("persona.import_files", {"files": files}))
    assert done["state"] == "done", done
    result = done["result"]
    assert (result["imported"], result["skipped"]) == (2, 2)
    statuses = {item["name"]: item for item in result["items"]}
    assert statuses["other.png"]["status"] == "imported"
    assert "exists already" in statuses[SHIPPED["v2_json"]]["reason"]
    assert "not a character card" in statuses["notes.txt"]["reason"]
    wren = client.call("persona.get", {"id": statuses[SHIPPED["v2_png"]]["persona"]})
    assert client.call("persona.card", {"id": wren["id"]})["avatar"] is not None
    assert client.call("persona.usage", {"id": wren["id"]}) == {"memories": None, "plugins": 0}


def test_changes_are_published(core: RunningCore, client: Client) -> None:
    events = core.subscribe("persona.")  # live: its first event came through
    try:
        ada = client.call("persona.create", {"name": "Ada"})
        client.call("persona.update", {"id": ada["id"], "tags": ["a"]})
        client.call("persona.delete", {"id": ada["id"]})
        seen: list[tuple[str, Any]] = []
        while not seen or seen[-1][1].get("change") != "deleted":  # the last one published
            event = events.receive(timeout=PATIENCE_S)
            assert event is not None, f"timed out; got {seen}"
            seen.append((event.topic, event.data))
    finally:
        events.close()
    assert seen == [("persona.changed", {"id": ada["id"], "change": change})
                    for change in ("created", "updated", "deleted")]


def test_a_summary_reads_the_card_macros_as_a_chat_shows_them() -> None:
    from pajamas.personas.model import summary

    assert summary("\n{{char}} keeps the light; {{USER}} visits.\nMore.", "Wren") == (
        "Wren keeps the light; User visits.")
