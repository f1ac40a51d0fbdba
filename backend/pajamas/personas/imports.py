"""Card files into personas: one at a time (persona.import) or many as a task
(persona.import_files), each file imported or skipped with the reason, never all-or-nothing.

A PNG card's image becomes the persona's avatar (its card chunks left out); the window sends a
thumbnail it drew along with each file it read (the core scales no image: avatars.py).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from pajamas.errors import HubError, InvalidParams
from pajamas.personas.cards import read_card
from pajamas.personas.model import Persona, check_tags
from pajamas.personas.png import is_png, read_png_card, strip_card

if TYPE_CHECKING:
    from pajamas.personas.service import PersonaService
    from pajamas.tasks.task import Task

MAX_FILES: Final = 10_000


@dataclass(frozen=True)
class CardFile:
    """A file to import: its name (for the report), its bytes and the window's thumbnail."""

    name: str
    data: bytes
    thumbnail: str | None = None


def import_card(service: PersonaService, card: dict[str, Any] | bytes,
                thumbnail: str | None = None) -> Persona:
    """A new persona from a card map, or from the bytes of a PNG card (its image the avatar)."""
    avatar = None
    if isinstance(card, bytes):
        if not is_png(card):
            raise InvalidParams("card bytes must be a PNG character card", field="card")
        avatar = strip_card(card)
        card = read_png_card(card)
    found = read_card(card)
    rest = dict(found.rest)
    try:
        tags = check_tags(rest.pop("tags", []))
    except InvalidParams as exc:
        raise InvalidParams(f"the card's {exc}", field="card") from exc
    return service.create(found.name, description=found.description,
                          system_prompt=found.system_prompt, card=rest, tags=tags,
                          avatar=avatar, thumbnail=thumbnail)


def card_files(files: list[Any]) -> list[CardFile]:
    """The files of persona.import_files, checked: each {"name", "data", "thumbnail"?}."""
    if not files or len(files) > MAX_FILES:
        raise InvalidParams(f"files holds 1 to {MAX_FILES} files, not {len(files)}",
                            field="files")
    return [_card_file(number, one) for number, one in enumerate(files, 1)]


def import_files(service: PersonaService, files: list[CardFile], task: Task) -> dict[str, Any]:
    """Import each file in turn: {"items": [{"name", "status", "persona"?, "reason"?}],
    "imported", "skipped"}."""
    items = []
    for number, one in enumerate(files):
        task.progress(number / len(files), f"importing {one.name}")
        items.append(_import_one(service, one))
    task.progress(1.0, f"imported {sum(i['status'] == 'imported' for i in items)} of {len(files)}")
    imported = sum(item["status"] == "imported" for item in items)
    return {"items": items, "imported": imported, "skipped": len(items) - imported}


def _import_one(service: PersonaService, one: CardFile) -> dict[str, Any]:
    try:
        persona = import_card(service, _file_card(one), one.thumbnail)
    except HubError as exc:
        return {"name": one.name, "status": "skipped", "reason": str(exc)}
    return {"name": one.name, "status": "imported", "persona": persona["id"],
            "persona_name": persona["name"]}


def _file_card(one: CardFile) -> dict[str, Any] | bytes:
    """The card in a file: a PNG's bytes, or the JSON map; says so when it is neither."""
    if is_png(one.data):
        return one.data
    try:
        card = json.loads(one.data)
    except (ValueError, RecursionError):
        raise InvalidParams(f"{one.name} is not a character card: neither a PNG card nor "
                            "JSON (or JSON nested too deeply)", field="files") from None
    if not isinstance(card, dict):
        raise InvalidParams(f"{one.name} is not a character card: its JSON is no map",
                            field="files")
    return card


def _card_file(number: int, one: Any) -> CardFile:
    if not isinstance(one, dict) or not isinstance(one.get("name", ""), str):
        raise InvalidParams(f"file {number} must be a map {{name, data, thumbnail?}}",
                            field="files")
    data, thumbnail = one.get("data"), one.get("thumbnail")
    if isinstance(data, str):  # base64: the window's bridge carries JSON, which has no bin
        try:
            data = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidParams(f"file {number}'s data is not base64: {exc}",
                                field="files") from exc
    if not isinstance(data, bytes):
        raise InvalidParams(f"file {number} needs its data (bin, or base64 text)", field="files")
    if thumbnail is not None and not isinstance(thumbnail, str):
        raise InvalidParams(f"file {number}'s thumbnail must be a data: URL", field="files")
    return CardFile(one.get("name") or f"file {number}", data, thumbnail)
