"""Character Card V2 to and from a persona; V1 (flat) and V3 cards are read as well.

A persona models three of a card's fields (name, description, system_prompt); every other
field of the card's `data` (greetings, lore book, tags, `extensions` with keys no spec knows)
is kept beside the persona as it came and written back on export, so a card survives a round
trip unchanged.  Export always writes V2: `{"spec": "chara_card_v2", "spec_version": "2.0",
"data": {...}}`, with the spec's defaults for fields the card never had.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pajamas.errors import InvalidParams

SPEC_V2: Final = "chara_card_v2"
SPEC_V3: Final = "chara_card_v3"
# The V2 spec's `data` fields and their empty values, in the spec's order.
V2_DEFAULTS: Final[dict[str, Any]] = {
    "name": "", "description": "", "personality": "", "scenario": "", "first_mes": "",
    "mes_example": "", "creator_notes": "", "system_prompt": "",
    "post_history_instructions": "", "alternate_greetings": [], "character_book": None,
    "tags": [], "creator": "", "character_version": "", "extensions": {},
}
V1_FIELDS: Final = ("name", "description", "personality", "scenario", "first_mes", "mes_example")
PERSONA_FIELDS: Final = ("name", "description", "system_prompt")


@dataclass(frozen=True)
class CardPersona:
    """What a card gives a persona: its three fields, and the rest of the card to keep."""

    name: str
    description: str
    system_prompt: str
    rest: dict[str, Any]


def read_card(card: Mapping[str, Any]) -> CardPersona:
    """The persona in a V2, V3 or V1 card; `InvalidParams` (field "card") when it is none."""
    data = _card_data(card)
    for field in PERSONA_FIELDS:
        if not isinstance(data.get(field, ""), str):
            raise _invalid(f"the card's {field} must be text, not {type(data[field]).__name__}")
    if not data.get("name", "").strip():
        raise _invalid("the card has no name")
    rest = {key: value for key, value in data.items() if key not in PERSONA_FIELDS}
    return CardPersona(data["name"], data.get("description", ""), data.get("system_prompt", ""),
                       copy.deepcopy(rest))


def write_card(name: str, description: str, system_prompt: str,
               rest: Mapping[str, Any], tags: list[str] | None = None) -> dict[str, Any]:
    """A Character Card V2 of the persona, its tags and the card fields it kept."""
    data = copy.deepcopy(V2_DEFAULTS) | copy.deepcopy(dict(rest))
    data |= {"name": name, "description": description, "system_prompt": system_prompt}
    if tags is not None:
        data["tags"] = list(tags)
    if data.get("character_book") is None:
        del data["character_book"]  # optional in the spec: absent rather than null
    return {"spec": SPEC_V2, "spec_version": "2.0", "data": data}


TEXT_FIELDS: Final = ("name", "description", "personality", "scenario", "first_mes",
                      "mes_example", "creator_notes", "system_prompt",
                      "post_history_instructions", "creator", "character_version")
# A lore book entry's fields the editor sets, and the type each must have.
ENTRY_TYPES: Final[dict[str, tuple[type, ...]]] = {
    "keys": (list,), "secondary_keys": (list,), "content": (str,), "enabled": (bool,),
    "insertion_order": (int,), "priority": (int,), "constant": (bool,), "selective": (bool,),
    "case_sensitive": (bool,), "name": (str,), "comment": (str,), "position": (str,),
    "id": (int, str), "extensions": (dict,),
}


def check_card_data(data: Any) -> dict[str, Any]:
    """A card's `data` map as the editor sends it, each V2 field of the right type.

    Fields it does not know (an extension's) pass as they are: the card is the user's.
    """
    if not isinstance(data, Mapping):
        raise _invalid("the card must be a map of Character Card V2 fields")
    for field in TEXT_FIELDS:
        if not isinstance(data.get(field, ""), str):
            raise _invalid(f"the card's {field} must be text")
    greetings = data.get("alternate_greetings", [])
    if not isinstance(greetings, list) or not all(isinstance(g, str) for g in greetings):
        raise _invalid("alternate_greetings must be a list of text")
    if not isinstance(data.get("extensions", {}), Mapping):
        raise _invalid("extensions must be a map")
    book = data.get("character_book")
    if book is not None:
        _check_book(book)
    return copy.deepcopy(dict(data))


def _check_book(book: Any) -> None:
    if not isinstance(book, Mapping) or not isinstance(book.get("entries", []), list):
        raise _invalid("character_book must be a map with a list of entries")
    for number, entry in enumerate(book.get("entries", []), 1):
        if not isinstance(entry, Mapping):
            raise _invalid(f"lore book entry {number} must be a map")
        for field, types in ENTRY_TYPES.items():
            value = entry.get(field)
            if value is not None and (not isinstance(value, types) or (
                    isinstance(value, bool) and bool not in types)):
                raise _invalid(f"lore book entry {number}: {field} must be "
                               f"{' or '.join(t.__name__ for t in types)}")
        keys = entry.get("keys", [])
        if not all(isinstance(key, str) for key in keys):
            raise _invalid(f"lore book entry {number}: keys must be text")


def _card_data(card: Mapping[str, Any]) -> dict[str, Any]:
    """The card's `data` map: V2 and V3 nest it, V1 is flat."""
    spec = card.get("spec")
    if spec in (SPEC_V2, SPEC_V3):
        data = card.get("data")
        if not isinstance(data, Mapping):
            raise _invalid(f"a {spec} card needs a map `data`")
        return dict(data)
    if spec is not None:
        raise _invalid(f"unknown card spec {spec!r}; the hub reads {SPEC_V2}, {SPEC_V3} and "
                       "V1 cards (no spec)")
    if "name" not in card:
        raise _invalid("not a character card: no spec and no name")
    return {field: card[field] for field in V1_FIELDS if field in card}


def _invalid(message: str) -> InvalidParams:
    return InvalidParams(message, field="card")
