"""What a client that opens a conversation late needs: the reply being written (`writing`),
how each reply ended (`finish_reason`, `error`, kept across reloads and swipes), and a
`chat.changed` event for each conversation created, updated, deleted or imported."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from pajamas.chat.conversations import Conversations
from pajamas.rpc.client import Client
from pajamas.store.metadata import FILENAME, MIGRATIONS, MetadataStore
from tests.chat.conftest import Events
from tests.chat.fake_openai import FakeOpenAI


def test_a_conversation_names_the_reply_being_written(
        chat: Client, events: Events, fake: FakeOpenAI, conversation: str,
        persona: str) -> None:
    assert chat.call("chat.get", {"conversation": conversation})["writing"] is None
    fake.mode = "hold"
    sent = chat.call("chat.send", {"conversation": conversation, "text": "Go on"})
    events.first_delta(sent["reply"])
    assert chat.call("chat.get", {"conversation": conversation})["writing"] == sent["reply"]
    [listed] = chat.call("chat.list", {"persona": persona})["items"]
    assert listed["writing"] == sent["reply"]
    [pending] = [m for m in chat.call("chat.messages", {"conversation": conversation})["items"]
                 if m["id"] == sent["reply"]]
    assert pending["finish_reason"] is None and pending["error"] is None
    fake.release.set()
    events.reply(sent["reply"])
    assert chat.call("chat.get", {"conversation": conversation})["writing"] is None


def test_how_each_reply_ended_is_stored_with_its_swipe(
        chat: Client, events: Events, fake: FakeOpenAI, conversation: str) -> None:
    def last() -> dict[str, object]:
        return dict(chat.call("chat.messages", {"conversation": conversation})["items"][-1])

    greeting = chat.call("chat.messages", {"conversation": conversation})["items"][0]
    assert greeting["finish_reason"] is None and greeting["error"] is None
    fake.mode = "hold"
    sent = chat.call("chat.send", {"conversation": conversation, "text": "Go on"})
    events.first_delta(sent["reply"])
    chat.call("chat.stop", {"conversation": conversation})
    events.reply(sent["reply"])
    assert (last()["finish_reason"], last()["error"]) == ("cancelled", None)

    fake.mode, fake.finish = "ok", "length"
    chat.call("chat.regenerate", {"conversation": conversation})
    events.reply(sent["reply"])
    assert (last()["swipe"], last()["finish_reason"]) == (1, "length")

    fake.mode = "500"
    chat.call("chat.regenerate", {"conversation": conversation})
    _, done = events.reply(sent["reply"])
    assert last()["finish_reason"] == "error" and last()["error"] == done["error"]
    assert "HTTP 500" in str(last()["error"])

    # Each swipe keeps its own ending; the user's message has none.
    shown = chat.call("chat.swipe", {"conversation": conversation, "message": sent["reply"],
                                     "swipe": 0})
    assert shown["finish_reason"] == "cancelled" and shown["error"] is None
    user = chat.call("chat.messages", {"conversation": conversation})["items"][1]
    assert user["role"] == "user" and user["finish_reason"] is None


def test_creating_updating_importing_and_deleting_a_conversation_are_published(
        chat: Client, events: Events, persona: str) -> None:
    def changed() -> dict[str, object]:
        return events.next("chat.changed")[1]

    made = chat.call("chat.create", {"persona": persona})
    assert changed() == {"persona": persona, "conversation": made["id"], "change": "created"}
    chat.call("chat.update", {"conversation": made["id"], "title": "Renamed"})
    assert changed() == {"persona": persona, "conversation": made["id"], "change": "updated"}
    jsonl = chat.call("chat.export", {"conversation": made["id"]})["jsonl"]
    imported = chat.call("chat.import", {"persona": persona, "jsonl": jsonl})
    assert changed() == {"persona": persona, "conversation": imported["id"],
                         "change": "created"}
    chat.call("chat.delete", {"conversation": made["id"]})
    assert changed() == {"persona": persona, "conversation": made["id"], "change": "deleted"}


def test_messages_stored_before_endings_existed_read_as_ended_unknown(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / FILENAME)
    for number, script in enumerate(MIGRATIONS[:6]):
        db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number + 1}; COMMIT;")
    db.executescript("""
        INSERT INTO personas (id, name, created_at, updated_at) VALUES ('p', 'Ada', 0, 0);
        INSERT INTO conversations (id, persona, title, created_at, updated_at)
            VALUES ('c', 'p', 'Old', 0, 0);
        INSERT INTO messages (id, conversation, seq, role, swipes, swipe, created_at)
            VALUES ('m', 'c', 1, 'assistant', '["Hi"]', 0, 0);
    """)
    db.close()
    store = MetadataStore.open(tmp_path)
    conversations = Conversations(store)
    old = conversations.message("c", "m")
    assert old["text"] == "Hi" and old["finish_reason"] is None and old["error"] is None
    ended = conversations.set_swipes("c", "m", ["Hi", "Bye"], 1, ending={
        "finish_reason": "stop", "error": None})
    assert ended["finish_reason"] == "stop"
    assert json.loads(store.query_one("SELECT endings FROM messages")[0]) == {
        "1": {"finish_reason": "stop", "error": None}}
    assert conversations.get("c")["writing"] is None
    store.close()
