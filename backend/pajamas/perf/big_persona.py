"""A persona at scale for the chat and window benchmarks: many memories and a large lorebook.

The memories are written as `memory.search_100k` writes them (`memory_scale.fill`: the corpus's
turns with their cached embeddings, straight into the persona's LanceDB table before the core
first opens it, full-text index included), then searched once (the model loads) and, above the
size where search leaves exact scoring, laid out in lists.  The lorebook's entries are keyed by
the corpus's own words (names, places, activities), so the questions asked of the memories
trigger some of them, as a user's messages would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from pajamas.perf.benchmarks.memory import Texts
from pajamas.perf.corpus import WORDS
from pajamas.rpc.client import Client

LORE_BUDGET: Final = 1024
KEY_KINDS: Final = ("name", "city", "activity", "place", "pet", "job", "food")


def lorebook(entries: int) -> dict[str, Any]:
    """A character_book of entries entries, keyed by the corpus's words; every 25th constant."""
    book = []
    for n in range(entries):
        kind = KEY_KINDS[n % len(KEY_KINDS)]
        words = WORDS[kind]
        key = words[(n // len(KEY_KINDS)) % len(words)]
        book.append({
            "keys": [key], "secondary_keys": [], "enabled": True, "constant": n % 25 == 0,
            "insertion_order": n, "priority": n % 7, "position": "before_char" if n % 2 else
            "after_char", "extensions": {},
            "content": f"Lore {n} about {key}: the {kind} {key} matters to {{{{char}}}}, who "
                       f"remembers it with {WORDS['feeling'][n % len(WORDS['feeling'])]} "
                       f"feelings and mentions it to {{{{user}}}} now and then."})
    return {"name": "bench lore", "scan_depth": 4, "token_budget": LORE_BUDGET,
            "entries": book}


def persona_with_memories(client: Client, home: Path, source: Texts, size: int, *,
                          lore_entries: int = 0, name: str = "bench") -> str:
    """A new persona (its id) holding size memories of source, its lorebook lore_entries long,
    its model loaded and its vectors laid out; home is the core's."""
    from pajamas.memory.ann import Policy  # noqa: PLC0415
    from pajamas.perf.benchmarks.memory_scale import fill, wait_for_lists  # noqa: PLC0415

    card = {"first_mes": "Hello again, {{user}}.",
            "character_book": lorebook(lore_entries)} if lore_entries else None
    persona: str = client.call("persona.create", {
        "name": name, "description": "A persona with a long memory, for benchmarks.",
        **({"card": card} if card else {})})["id"]
    fill(home, persona, source, size)
    client.call("memory.search", {"persona": persona, "query": "warm-up: load the model"},
                timeout=600)
    if size >= Policy().min_rows:
        wait_for_lists(client, persona)
    return persona
