"""The prompt: card, lorebook, memories, examples and history within the budget."""

from __future__ import annotations

from typing import Any

from pajamas.chat.lorebook import read_book, select
from pajamas.chat.prompt import Card, Recalled, Turn, build
from pajamas.chat.tokens import MESSAGE_OVERHEAD, estimate
from pajamas.rpc.client import Client


def words(text: str) -> int:
    return len(text.split())


def card(**fields: Any) -> Card:
    return Card(**{"name": "Aqua", "user": "Kazuma", **fields})


def turns(*texts: str) -> list[Turn]:
    return [Turn(f"m{n}", "user" if n % 2 == 0 else "assistant", t) for n, t in enumerate(texts)]


def test_the_system_prompt_names_the_persona_and_replaces_the_macros() -> None:
    prompt = build(card(description="{{char}} is a goddess.", scenario="{{user}} visits.",
                        personality="loud"), turns("Hi {{char}}"), [], budget=1000,
                   memory_share=0.25, count=words)
    system = prompt.messages[0]["content"]
    assert system.startswith("You are Aqua. Stay in character as Aqua and reply to Kazuma")
    assert "Description: Aqua is a goddess." in system and "Scenario: Kazuma visits." in system
    assert "Personality: loud" in system
    assert prompt.messages[-1] == {"role": "user", "content": "Hi Aqua"}
    own = build(card(system_prompt="Be {{char}}."), turns("Hi"), [], budget=1000,
                memory_share=0.25, count=words)
    assert own.messages[0]["content"] == "Be Aqua."


def test_sections_add_up_to_the_tokens_and_history_drops_the_oldest_first() -> None:
    history = turns(*(f"message number {n} here" for n in range(20)))
    prompt = build(card(post_history_instructions="Be brief."), history, [], budget=60,
                   memory_share=0.25, count=words)
    assert prompt.tokens == sum(s["tokens"] for s in prompt.sections) <= 60
    assert [s["name"] for s in prompt.sections] == [
        "system", "lorebook", "memories", "examples", "history", "post_history"]
    sent = [m["content"] for m in prompt.messages if m["role"] != "system"]
    assert sent[-1] == "message number 19 here" and "message number 0 here" not in sent
    assert sent == [t.text for t in history[-len(sent):]]
    assert prompt.messages[-1] == {"role": "system", "content": "Be brief."}


def test_examples_come_only_when_room_is_left() -> None:
    roomy = build(card(mes_example="<START>\n{{user}}: hi\n{{char}}: yo"), turns("Hi"), [],
                  budget=1000, memory_share=0.25, count=words)
    assert any("Example dialogue:\n<START>\nKazuma: hi" in m["content"]
               for m in roomy.messages)
    tight = build(card(mes_example="a " * 200), turns("Hi"), [], budget=100,
                  memory_share=0.25, count=words)
    assert not any("Example dialogue" in m["content"] for m in tight.messages)


def test_memories_are_dated_within_their_share_and_listed() -> None:
    recalled = [Recalled("a", "Kazuma likes sweets", 1_700_000_000.0),
                Recalled("b", "word " * 100, 1_700_000_000.0),
                Recalled("c", "Kazuma fears frogs", 1_600_000_000.0)]
    prompt = build(card(), turns("Hi"), recalled, budget=200, memory_share=0.25, count=words)
    memories = next(m["content"] for m in prompt.messages if "remember" in m["content"])
    assert "- [2023-11-14] Kazuma likes sweets" in memories
    assert "- [2020-09-13] Kazuma fears frogs" in memories
    assert prompt.memories == ["a", "c"]  # b does not fit in a quarter of 200
    none = build(card(), turns("Hi"), recalled, budget=200, memory_share=0.0, count=words)
    assert none.memories == [] and len(none.messages) == 2


BOOK = {"scan_depth": 1, "token_budget": 13, "entries": [
    {"keys": ["frog"], "content": "Giant frogs eat goddesses.", "insertion_order": 20,
     "enabled": True},
    {"keys": ["guild"], "content": "The guild pays poorly.", "insertion_order": 10,
     "enabled": True, "position": "before_char"},
    {"keys": [], "content": "Always constant.", "constant": True, "insertion_order": 30,
     "enabled": True},
    {"keys": ["frog"], "content": "Disabled.", "enabled": False, "insertion_order": 1},
    {"keys": ["FROG"], "content": "Case matters.", "case_sensitive": True, "enabled": True,
     "insertion_order": 2},
    {"keys": ["frog"], "secondary_keys": ["lake"], "selective": True,
     "content": "Frogs by the lake.", "enabled": True, "insertion_order": 3},
]}


def test_lorebook_entries_trigger_on_recent_keys_and_fit_their_budget() -> None:
    book = read_book(BOOK)
    chosen = select(book, ["the guild", "a frog!"], 100, words)
    assert [e.content for e in chosen] == ["Giant frogs eat goddesses.", "Always constant."]
    both = select(read_book({**BOOK, "scan_depth": 2}), ["the guild", "a frog!"], 100, words)
    assert [e.content for e in both] == ["The guild pays poorly.", "Giant frogs eat goddesses.",
                                         "Always constant."]
    by_priority = read_book({**BOOK, "scan_depth": 2, "entries": [
        {**e, "priority": 5} if e["content"].startswith("Always") else e
        for e in BOOK["entries"]]})
    kept = select(by_priority, ["the guild", "a frog!"], 9, words)
    assert [e.content for e in kept] == ["The guild pays poorly.", "Always constant."]


def test_lorebook_entries_are_placed_by_position() -> None:
    prompt = build(card(description="Water goddess.", book={**BOOK, "scan_depth": 2}),
                   turns("the guild", "a frog!"), [], budget=1000, memory_share=0.25,
                   count=words)
    system = prompt.messages[0]["content"]
    assert system.index("The guild pays poorly.") < system.index("Description: Water")
    assert system.index("Description: Water") < system.index("Giant frogs")
    lore = next(s for s in prompt.sections if s["name"] == "lorebook")
    assert lore["tokens"] == sum(words(t) + 1 for t in (
        "The guild pays poorly.", "Giant frogs eat goddesses.", "Always constant."))


def test_the_estimate_is_a_quarter_of_the_bytes() -> None:
    assert estimate("") == 0 and estimate("abcd") == 1 and estimate("abcde") == 2
    assert MESSAGE_OVERHEAD == 4


def test_chat_prompt_shows_what_the_next_reply_would_get(
        chat: Client, conversation: str) -> None:
    shown = chat.call("chat.prompt", {"conversation": conversation,
                                      "text": "What is the Axis Order?"})
    assert shown["budget"] == 4096 - 512
    assert shown["tokens"] == sum(s["tokens"] for s in shown["sections"]) <= shown["budget"]
    roles = [m["role"] for m in shown["messages"]]
    assert roles == ["system", "system", "assistant", "user", "system"]
    assert "The Axis Order worships Aqua." in shown["messages"][0]["content"]
    assert "Aqua cannot swim well." in shown["messages"][0]["content"]
    assert shown["messages"][2]["content"] == "Hi, I am Aqua!"
    assert chat.call("chat.messages", {"conversation": conversation})["total"] == 1
