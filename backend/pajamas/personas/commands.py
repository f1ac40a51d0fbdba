"""`pajamas persona list|import|export`: personas and their Character Cards from a terminal.

These commands talk to the home's core, starting one for the command's duration when none runs.
"""

from __future__ import annotations

import argparse
import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pajamas.config import Settings

if TYPE_CHECKING:
    from pajamas.rpc.client import Client


def add_persona_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `pajamas persona list|import|export`."""
    persona = sub.add_parser("persona", help="personas: list them, import and export cards")
    persona_sub = persona.add_subparsers(title="persona commands", metavar="PERSONA_COMMAND",
                                         required=True)
    listing = persona_sub.add_parser("list", help="list the personas")
    listing.set_defaults(handler=list_command)
    imported = persona_sub.add_parser("import", help="create a persona from a card (JSON or PNG)")
    imported.add_argument("file", type=Path, help="a Character Card V1/V2/V3, .json or .png")
    imported.set_defaults(handler=import_command)
    exported = persona_sub.add_parser("export", help="write a persona as a Character Card V2")
    exported.add_argument("persona", help="the persona's name or id")
    exported.add_argument("-o", "--output", type=Path, required=True,
                          help="the card file to write: .png for a PNG card, else JSON")
    exported.set_defaults(handler=export_command)


def list_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Print every persona's name and id."""
    with _client(home, settings) as client:
        for persona in client.iter_items("persona.list"):
            print(f"{persona['name']}\t{persona['id']}")
    return 0


def import_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Read a card file and create its persona."""
    with _client(home, settings) as client:
        persona = client.call("persona.import", {"card": read_card_file(args.file)})
    print(f"imported {persona['name']} ({persona['id']})")
    return 0


def export_command(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Write the persona's card (named by name or id) to the output file."""
    from pajamas.launcher import find_persona  # noqa: PLC0415

    as_png = args.output.suffix.lower() == ".png"
    with _client(home, settings) as client:
        persona = find_persona(client, args.persona)
        exported = client.call("persona.export", {"id": persona["id"],
                                                  "format": "png" if as_png else "json"})
    if as_png:  # the core's PNG card: the persona's avatar carrying the card
        args.output.write_bytes(base64.b64decode(exported["png"]))
    else:
        write_card_file(args.output, exported["card"])
    print(f"exported {persona['name']} to {args.output}")
    return 0


def read_card_file(path: Path) -> dict[str, Any] | bytes:
    """The card in a .png (its bytes: the core keeps the image as the avatar) or JSON file."""
    from pajamas.errors import InvalidParams  # noqa: PLC0415
    from pajamas.personas.png import is_png  # noqa: PLC0415

    blob = path.read_bytes()
    if is_png(blob):
        return blob
    try:
        card = json.loads(blob)
    except ValueError as exc:
        raise InvalidParams(f"{path} is neither a PNG card nor JSON: {exc}", field="card") from exc
    if not isinstance(card, dict):
        raise InvalidParams(f"{path} holds no JSON map", field="card")
    return card


def write_card_file(path: Path, card: dict[str, Any]) -> None:
    """Write card as a PNG card when path ends in .png, else as JSON."""
    from pajamas.personas.png import write_png_card  # noqa: PLC0415

    if path.suffix.lower() == ".png":
        path.write_bytes(write_png_card(card))
    else:
        path.write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@contextmanager
def _client(home: Path, settings: Settings) -> Iterator[Client]:
    """A client of the home's core, started for the command when none runs."""
    from pajamas.launcher import command_client  # noqa: PLC0415

    with command_client(home, settings.core_start_timeout_s) as client:
        yield client
