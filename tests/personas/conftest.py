"""Cards for the persona tests: the example card the project ships, in its three forms, and
SillyTavern's Seraphina from ../shared/data (for the tests marked `shared_data`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pajamas.personas.png import read_png_card
from tests.conftest import ROOT

EXAMPLE_CARDS = ROOT / "examples" / "cards"
#: The shipped card's files by form: V2 in a `chara` chunk, V3 in a `ccv3` chunk, V2 as JSON.
SHIPPED = {"v2_png": "wren-ashdown.png", "v3_png": "wren-ashdown-v3.png",
           "v2_json": "wren-ashdown.json"}


@pytest.fixture(scope="session")
def seraphina_png(shared_data: Path) -> bytes:
    """SillyTavern's default Seraphina card: a V2 card in a PNG `chara` chunk, made by that tool."""
    return (shared_data / "cards" / "default_Seraphina.png").read_bytes()


def shipped_blob(form: str) -> bytes:
    """The bytes of the shipped card's file in form (a key of SHIPPED)."""
    return (EXAMPLE_CARDS / SHIPPED[form]).read_bytes()


def card_in(form: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    """The card of form: a key of SHIPPED, or "seraphina" (needs ../shared/data)."""
    if form == "seraphina":
        return read_png_card(request.getfixturevalue("seraphina_png"))
    blob = shipped_blob(form)
    card: dict[str, Any] = json.loads(blob) if form.endswith("json") else read_png_card(blob)
    return card


#: Every card form the round-trip tests take: the shipped ones, then Seraphina's real PNG.
FORMS = [*SHIPPED, pytest.param("seraphina", marks=pytest.mark.shared_data)]
