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
               rest: Mapping[str, Any]) -> dict[str, Any]:
    """A Character Card V2 of the persona and the card fields it kept."""
    data = copy.deepcopy(V2_DEFAULTS) | copy.deepcopy(dict(rest))
    data |= {"name": name, "description": description, "system_prompt": system_prompt}
    if data.get("character_book") is None:
        del data["character_book"]  # optional in the spec: absent rather than null
    return {"spec": SPEC_V2, "spec_version": "2.0", "data": data}


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
