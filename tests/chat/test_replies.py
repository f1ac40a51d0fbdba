"""chat.*: conversations open with the card's greeting; replies stream, stop, regenerate."""

from __future__ import annotations

import pytest

from pajamas.errors import Conflict, InvalidParams, NotFound
from pajamas.rpc.client import Client
from tests.chat.conftest import Events
from tests.chat.fake_openai import FakeOpenAI


def test_a_conversation_opens_with_the_first_message_and_its_greetings(
        chat: Client, persona: str) -> None:
    created = chat.call("chat.create", {"persona": persona})
    assert created["title"] == "Chat with Aqua" and created["provider"] is None
    assert created["messages"] == 1
    [first] = chat.call("chat.messages", {"conversation": created["id"]})["items"]
    assert first["role"] == "assistant" and first["text"] == "Hi, I am {{char}}!"
    assert first["swipes"] == ["Hi, I am {{char}}!", "Yo!", "Hey there."]
    swiped = chat.call("chat.swipe", {"conversation": created["id"], "message": first["id"],
                                      "swipe": 2})
    assert swiped["text"] == "Hey there." and swiped["swipe"] == 2
    with pytest.raises(InvalidParams):
        chat.call("chat.swipe", {"conversation": created["id"], "message": first["id"],
                                 "swipe": 3})
    with pytest.raises(NotFound):
        chat.call("chat.create", {"persona": "nobody"})


def test_conversations_are_listed_renamed_and_deleted(chat: Client, persona: str) -> None:
    one = chat.call("chat.create", {"persona": persona, "title": "one"})
    two = chat.call("chat.create", {"persona": persona, "title": "two"})
    listed = chat.call("chat.list", {"persona": persona})
    assert listed["total"] == 2 and [c["id"] for c in listed["items"]] == [two["id"], one["id"]]
    renamed = chat.call("chat.update", {"conversation": one["id"], "title": "first"})
    assert renamed["title"] == "first"
    chat.call("provider.add", {"id": "other", "base_url": "http://127.0.0.1:9/v1"})
    moved = chat.call("chat.update", {"conversation": one["id"], "provider": "other"})
    assert moved["provider"] == "other" and moved["title"] == "first"
    with pytest.raises(NotFound):
        chat.call("chat.update", {"conversation": one["id"], "provider": "nowhere"})
    back = chat.call("chat.update", {"conversation": one["id"], "provider": ""})
    assert back["provider"] is None
    assert chat.call("chat.get", {"conversation": one["id"]})["title"] == "first"
    assert chat.call("chat.delete", {"conversation": one["id"]}) == {"deleted": True}
    with pytest.raises(NotFound):
        chat.call("chat.get", {"conversation": one["id"]})
    chat.call("persona.delete", {"id": persona})
    with pytest.raises(NotFound):
        chat.call("chat.get", {"conversation": two["id"]})


def test_a_reply_streams_as_deltas_that_add_up_to_the_stored_text(
        chat: Client, events: Events, fake: FakeOpenAI, conversation: str) -> None:
    sent = chat.call("chat.send", {"conversation": conversation, "text": "Tell me of the axis"})
    assert sent["message"]["role"] == "user" and sent["message"]["text"] == "Tell me of the axis"
    deltas, done = events.reply(sent["reply"])
    assert deltas == fake.words and done["text"] == "".join(fake.words)
    assert done["finish_reason"] == "stop" and "error" not in done
    usage = done["usage"]
    assert usage["prompt_tokens"] == 42 and usage["completion_tokens"] == len(fake.words)
    assert usage["ttft_ms"] >= 0 and usage["tokens_per_s"] > 0
    messages = chat.call("chat.messages", {"conversation": conversation})["items"]
    assert [m["role"] for m in messages] == ["assistant", "user", "assistant"]
    assert messages[-1]["text"] == done["text"] and messages[-1]["usage"] == usage
    [request] = fake.requests
    assert request["stream"] is True and request["model"] == "fake-model"
    assert request["max_tokens"] == 512 and request["temperature"] == 0.7
    sent_texts = [m["content"] for m in request["messages"]]
    assert "The Axis Order worships Aqua." in sent_texts[0]  # the lorebook, triggered
    assert request["messages"][-1] == {"role": "system", "content": "Answer in one sentence."}


def test_regenerate_adds_a_swipe_and_edit_and_delete_change_messages(
        chat: Client, events: Events, fake: FakeOpenAI, conversation: str) -> None:
    sent = chat.call("chat.send", {"conversation": conversation, "text": "Hello"})
    events.reply(sent["reply"])
    fake.words = ["Another", " answer"]
    again = chat.call("chat.regenerate", {"conversation": conversation})
    assert again == {"reply": sent["reply"]}
    _, done = events.reply(sent["reply"])
    assert done["text"] == "Another answer"
    [*_, last] = chat.call("chat.messages", {"conversation": conversation})["items"]
    assert last["swipes"] == ["Hello there, friend.", "Another answer"] and last["swipe"] == 1
    assert [m["role"] for m in fake.requests[1]["messages"]][-2:] == ["user", "system"]
    edited = chat.call("chat.edit", {"conversation": conversation, "message": last["id"],
                                     "text": "Edited."})
    assert edited["swipes"] == ["Hello there, friend.", "Edited."]
    assert chat.call("chat.delete_message", {"conversation": conversation,
                                             "message": last["id"]}) == {"deleted": True}
    with pytest.raises(InvalidParams):
        chat.call("chat.regenerate", {"conversation": conversation})


def test_stop_keeps_the_partial_text_and_the_core_keeps_serving(
        chat: Client, events: Events, fake: FakeOpenAI, conversation: str) -> None:
    fake.mode = "hold"
    sent = chat.call("chat.send", {"conversation": conversation, "text": "Go on"})
    assert events.first_delta(sent["reply"]) == "Hello"
    with pytest.raises(Conflict):
        chat.call("chat.send", {"conversation": conversation, "text": "again"})
    assert chat.call("chat.stop", {"conversation": conversation}) == {"stopped": True}
    _, done = events.reply(sent["reply"])
    assert done["finish_reason"] == "cancelled" and done["text"] == "Hello"
    stored = chat.call("chat.messages", {"conversation": conversation})["items"][-1]
    assert stored["text"] == "Hello"
    assert chat.call("chat.stop", {"conversation": conversation}) == {"stopped": False}
    fake.mode = "ok"
    sent = chat.call("chat.send", {"conversation": conversation, "text": "Again"})
    assert events.reply(sent["reply"])[1]["finish_reason"] == "stop"
