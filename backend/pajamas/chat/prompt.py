"""The prompt a reply gets, assembled within the provider's context minus the reply's tokens.

In this order of claim on the budget: the system prompt (the card's `system_prompt`, else one
that names the persona; then description, personality, scenario) and the card's
`post_history_instructions`, which are always sent; the lorebook (lorebook.py); the persona's
memories, each marked with its date, within `memory_share` of the budget; the history, newest
kept, oldest dropped first; and the card's `mes_example` if room is left.  They are sent as:
system (with the lorebook), memories, examples, history, post-history instructions.
`{{char}}` and `{{user}}` are replaced everywhere.  Every message costs
`tokens.MESSAGE_OVERHEAD` tokens beyond its text.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Final, TypedDict

from pajamas.chat.lorebook import read_book, select
from pajamas.chat.tokens import MESSAGE_OVERHEAD, Count

_MACRO: Final = re.compile(r"\{\{(char|user)\}\}", re.IGNORECASE)


@dataclass(frozen=True)
class Card:
    """What the prompt reads of the persona and its card."""

    name: str
    user: str
    system_prompt: str = ""
    description: str = ""
    personality: str = ""
    scenario: str = ""
    mes_example: str = ""
    post_history_instructions: str = ""
    book: Any = None

    @classmethod
    def of(cls, name: str, user: str, system_prompt: str, description: str,
           card: dict[str, Any]) -> Card:
        """The card of a persona (its columns, and the card fields it keeps)."""
        def text(key: str) -> str:
            value = card.get(key)
            return value if isinstance(value, str) else ""

        return cls(name, user, system_prompt or text("system_prompt"), description,
                   text("personality"), text("scenario"), text("mes_example"),
                   text("post_history_instructions"), card.get("character_book"))


@dataclass(frozen=True)
class Turn:
    """A message of the history."""

    id: str
    role: str
    text: str


@dataclass(frozen=True)
class Recalled:
    """A memory the prompt may show."""

    id: str
    text: str
    created_at: float


class Section(TypedDict):
    """A part of the prompt and its tokens."""

    name: str
    tokens: int


@dataclass
class Prompt:
    """The messages to send, by section, their tokens, the budget and the memories used."""

    messages: list[dict[str, str]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    tokens: int = 0
    budget: int = 0
    memories: list[str] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        """As chat.prompt returns it."""
        return {"messages": self.messages, "sections": self.sections, "tokens": self.tokens,
                "budget": self.budget}


def build(card: Card, history: list[Turn], recalled: list[Recalled], *, budget: int,
          memory_share: float, count: Count) -> Prompt:
    """The prompt for the next reply to history (whose last turn is usually the user's)."""
    def fill(text: str) -> str:
        return _MACRO.sub(lambda m: card.name if m[1].lower() == "char" else card.user, text)

    def cost(text: str) -> int:
        return count(text) + MESSAGE_OVERHEAD if text else 0

    post = fill(card.post_history_instructions)
    head = [fill(t) for t in _head(card)]
    left = budget - cost("\n\n".join(head)) - cost(post)
    book = read_book(card.book)
    lore = select(book, [t.text for t in history], max(left, 0), count)
    before = [fill(e.content) for e in lore if e.position == "before_char"]
    after = [fill(e.content) for e in lore if e.position == "after_char"]
    system = "\n\n".join([head[0], *before, *head[1:], *after])
    left = budget - cost(system) - cost(post)
    lines, memory_ids = _pack(recalled, min(int(budget * memory_share), left), count)
    memories = "What you remember of earlier conversations:\n" + "\n".join(lines) \
        if lines else ""
    left -= cost(memories)
    kept = _newest(history, left, cost, fill)
    left -= sum(cost(fill(t.text)) for t in kept)
    examples = fill(f"Example dialogue:\n{card.mes_example}") if card.mes_example else ""
    if cost(examples) > left:
        examples = ""
    parts = [("system", [("system", system)]), ("memories", [("system", memories)]),
             ("examples", [("system", examples)]),
             ("history", [(t.role, fill(t.text)) for t in kept]),
             ("post_history", [("system", post)])]
    # Each entry costs its text and the blank line that joins it.
    return _assemble(parts, budget, memory_ids, cost, lore_tokens=sum(
        count(fill(e.content)) + 1 for e in lore))


def _head(card: Card) -> list[str]:
    opening = card.system_prompt or (
        "You are {{char}}. Stay in character as {{char}} and reply to {{user}} "
        "in this conversation.")
    rest = [(label, value) for label, value in (
        ("Description", card.description), ("Personality", card.personality),
        ("Scenario", card.scenario)) if value.strip()]
    return [opening, *(f"{label}: {value}" for label, value in rest)]


def _pack(recalled: list[Recalled], budget: int, count: Count) -> tuple[list[str], list[str]]:
    lines: list[str] = []
    ids: list[str] = []
    used = 0
    for memory in recalled:  # best first
        day = time.strftime("%Y-%m-%d", time.gmtime(memory.created_at))
        line = f"- [{day}] {memory.text}"
        need = count(line) + 1
        if used + need <= budget:
            lines.append(line)
            ids.append(memory.id)
            used += need
    return lines, ids


def _newest(history: list[Turn], budget: int, cost: Count,
            fill: Any) -> list[Turn]:
    kept: list[Turn] = []
    for turn in reversed(history):
        need = cost(fill(turn.text))
        if need > budget and kept:
            break
        kept.append(turn)  # the newest turn is always sent, even over the budget
        budget -= need
    return kept[::-1]


def _assemble(parts: list[tuple[str, list[tuple[str, str]]]], budget: int,
              memory_ids: list[str], cost: Count, *, lore_tokens: int) -> Prompt:
    prompt = Prompt(budget=budget, memories=memory_ids)
    for name, messages in parts:
        tokens = 0
        for role, text in messages:
            if text:
                prompt.messages.append({"role": role, "content": text})
                tokens += cost(text)
        if name == "system":  # the lorebook's entries are inside the system message
            prompt.sections.append(Section(name=name, tokens=tokens - lore_tokens))
            prompt.sections.append(Section(name="lorebook", tokens=lore_tokens))
        else:
            prompt.sections.append(Section(name=name, tokens=tokens))
    prompt.tokens = sum(s["tokens"] for s in prompt.sections)
    return prompt
