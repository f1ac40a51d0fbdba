"""SillyTavern chat files: imported and exported, old and new forms, unknown fields kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pajamas.chat.sillytavern import parse, read_time, render
from pajamas.errors import InvalidParams
from pajamas.rpc.client import Client

ROOT = Path(__file__).resolve().parents[2]
NEW = "\n".join(json.dumps(line) for line in [
    {"user_name": "Kazuma", "character_name": "Aqua", "create_date": "2024-01-15@12h30m45s",
     "chat_metadata": {"note_prompt": "keep", "tainted": False}},
    {"name": "Aqua", "is_user": False, "is_system": False, "send_date": "January 15, 2024 12:30pm",
     "mes": "Yo!", "swipes": ["Hi!", "Yo!"], "swipe_id": 1, "extra": {"api": "openai"},
     "gen_started": "2024-01-15T12:30:00.000Z"},
    {"name": "Kazuma", "is_user": True, "is_system": False, "send_date": "January 15, 2024 12:31pm",
     "mes": "Hello {{char}}", "extra": {}},
    {"name": "System", "is_user": False, "is_system": True, "send_date": 1705321900000,
     "mes": "A note.", "extra": {"type": "narrator"}},
])
OLD = "\n".join(json.dumps(line) for line in [
    {"user_name": "You", "character_name": "Aqua", "create_date": 1674559896839},
    {"name": "Aqua", "is_user": False, "is_name": True, "send_date": 1674563371558,
     "mes": "Are you new here?"},
])


def lines(jsonl: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in jsonl.splitlines() if line.strip()]


@pytest.mark.parametrize("text", [NEW, OLD], ids=["new", "old"])
def test_a_file_read_and_written_comes_back_field_for_field(text: str) -> None:
    assert lines(render(parse(text))) == lines(text)


def test_dates_in_every_spelling_are_read() -> None:
    assert read_time(1674563371558) == 1674563371.558
    assert read_time("January 15, 2024 12:30pm") == read_time("2024-01-15T12:30:00Z")
    assert read_time("2024-01-15@12h30m45s") == read_time("2024-01-15T12:30:45+00:00")
    assert read_time("not a date") is None


@pytest.mark.parametrize(("text", "line", "why"), [
    ("", 0, "empty"),
    ('{"foo": 1}', 1, "header needs"),
    (OLD + "\n{not json", 3, "not JSON"),
    (OLD + '\n{"is_user": true}', 3, "needs `mes`"),
    (OLD + "\n[1, 2]", 3, "not a JSON object"),
])
def test_broken_files_are_refused_naming_the_line(text: str, line: int, why: str) -> None:
    with pytest.raises(InvalidParams, match=why) as refused:
        parse(text)
    if line:
        assert f"line {line}" in refused.value.message and refused.value.data["line"] == line


def test_a_chat_is_imported_and_exported_through_the_core(chat: Client, persona: str) -> None:
    imported = chat.call("chat.import", {"persona": persona, "jsonl": NEW})
    assert imported["messages"] == 3 and imported["title"] == "Aqua (imported)"
    messages = chat.call("chat.messages", {"conversation": imported["id"]})["items"]
    assert [m["role"] for m in messages] == ["assistant", "user", "system"]
    assert messages[0]["text"] == "Yo!" and messages[0]["swipes"] == ["Hi!", "Yo!"]
    assert messages[0]["created_at"] == read_time("January 15, 2024 12:30pm")
    exported = chat.call("chat.export", {"conversation": imported["id"]})["jsonl"]
    assert lines(exported) == lines(NEW)
    with pytest.raises(InvalidParams, match="line 2"):
        chat.call("chat.import", {"persona": persona, "jsonl": OLD.split("\n")[0] + "\n{"})


def test_a_chat_made_here_exports_as_a_sillytavern_file(chat: Client, persona: str) -> None:
    made = chat.call("chat.create", {"persona": persona})
    [header, greeting] = lines(chat.call("chat.export", {"conversation": made["id"]})["jsonl"])
    assert header["user_name"] == "User" and header["character_name"] == "Aqua"
    assert header["chat_metadata"] == {}
    assert greeting["name"] == "Aqua" and greeting["is_user"] is False
    assert greeting["mes"] == "Hi, I am {{char}}!" and greeting["swipe_id"] == 0
    assert len(greeting["swipes"]) == 3 and read_time(greeting["send_date"]) is not None
    again = chat.call("chat.import", {"persona": persona,
                                      "jsonl": chat.call("chat.export",
                                                         {"conversation": made["id"]})["jsonl"]})
    assert chat.call("chat.messages", {"conversation": again["id"]})["items"][0]["swipes"] == \
        greeting["swipes"]


@pytest.mark.shared_data
def test_the_real_old_sillytavern_file_round_trips(chat: Client, persona: str) -> None:
    text = (ROOT / ".." / "shared" / "data" / "chats" / "Aqua.jsonl").read_text()
    imported = chat.call("chat.import", {"persona": persona, "jsonl": text})
    [message] = chat.call("chat.messages", {"conversation": imported["id"]})["items"]
    assert message["role"] == "assistant" and "aqua the goddess of water" in message["text"]
    assert message["created_at"] == 1674563371.558
    exported = chat.call("chat.export", {"conversation": imported["id"]})["jsonl"]
    assert lines(exported) == lines(text)
