"""The persona.* methods through a real core, and `pajamas persona import|export`, with the
example card the project ships (and, marked `shared_data`, a card made by SillyTavern)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pajamas.errors import Conflict, InvalidParams, NotFound
from pajamas.personas.cards import write_card
from pajamas.personas.png import read_png_card, strip_card, write_png_card
from pajamas.rpc.client import Client
from tests.conftest import RunningCore, core_env, serving
from tests.personas.conftest import EXAMPLE_CARDS, FORMS, SHIPPED, card_in, shipped_blob

PERSONA_KEYS = {"id", "name", "description", "system_prompt", "settings", "created_at",
                "updated_at", "tags", "favourite", "memory_count", "last_used_at", "thumbnail"}


def test_create_get_update_list_delete(client: Client) -> None:
    ada = client.call("persona.create", {"name": "Ada", "settings": {"temperature": 0.2}})
    assert set(ada) == PERSONA_KEYS
    assert client.call("persona.get", {"id": ada["id"]}) == ada
    changed = client.call("persona.update", {"id": ada["id"], "description": "counts"})
    assert changed["description"] == "counts" and changed["settings"] == {"temperature": 0.2}
    client.call("persona.create", {"name": "Bob"})
    page = client.call("persona.list", {"limit": 1})
    assert page["total"] == 2 and [p["name"] for p in page["items"]] == ["Ada"]
    assert client.call("persona.delete", {"id": ada["id"]}) == {"deleted": True}
    with pytest.raises(NotFound):
        client.call("persona.get", {"id": ada["id"]})


def test_errors_follow_the_protocol(client: Client) -> None:
    client.call("persona.create", {"name": "Ada"})
    with pytest.raises(Conflict):
        client.call("persona.create", {"name": "ada"})
    with pytest.raises(NotFound):
        client.call("persona.update", {"id": "nobody", "name": "x"})
    with pytest.raises(NotFound):
        client.call("persona.delete", {"id": "nobody"})
    with pytest.raises(InvalidParams) as caught:
        client.call("persona.create", {"name": 5})
    assert caught.value.field == "name"


@pytest.mark.parametrize("form", FORMS)
def test_a_card_imports_and_exports_unchanged(client: Client, form: str,
                                              request: pytest.FixtureRequest) -> None:
    original = card_in(form, request)
    persona = client.call("persona.import", {"card": original})
    assert persona["name"] == original["data"]["name"]
    card = client.call("persona.export", {"id": persona["id"]})["card"]
    assert card["data"] == original["data"]
    with pytest.raises(Conflict):
        client.call("persona.import", {"card": card})


@pytest.mark.parametrize("form", ["v2_png", "v3_png"])
def test_png_card_bytes_import_too(client: Client, form: str) -> None:
    blob = shipped_blob(form)  # under the test core's message limit (64 KiB)
    persona = client.call("persona.import", {"card": blob})
    exported = client.call("persona.export", {"id": persona["id"]})["card"]
    assert exported["data"] == read_png_card(blob)["data"]
    ours = write_png_card(write_card("Ada", "d", "", {"extensions": {"x": 1}}))
    persona = client.call("persona.import", {"card": ours})
    assert client.call("persona.export", {"id": persona["id"]})["card"]["data"]["extensions"] == {
        "x": 1}
    with pytest.raises(InvalidParams):
        client.call("persona.import", {"card": b"not a png"})


def test_the_cli_imports_the_example_card_and_exports_json_and_png(core: RunningCore,
                                                                  tmp_path: Path) -> None:
    source = EXAMPLE_CARDS / SHIPPED["v2_png"]  # the README's example, as a user types it
    assert "imported Wren Ashdown" in _pajamas(core, "persona", "import", str(source))
    _pajamas(core, "persona", "export", "wren ashdown", "-o", str(tmp_path / "out.json"))
    _pajamas(core, "persona", "export", "Wren Ashdown", "-o", str(tmp_path / "out.png"))
    original = read_png_card(source.read_bytes())["data"]
    assert json.loads((tmp_path / "out.json").read_text())["data"] == original
    assert read_png_card((tmp_path / "out.png").read_bytes())["data"] == original


@pytest.mark.shared_data
def test_the_cli_imports_a_png_another_tool_wrote(home: Path, tmp_path: Path,
                                                 seraphina_png: bytes) -> None:
    source = tmp_path / "in.png"
    source.write_bytes(seraphina_png)
    # The card comes with its image (530 KB): over the tests' small message limit, far under
    # the default 16 MiB.
    with serving(home, PAJAMAS_MAX_MESSAGE_BYTES=str(16 * 1024 * 1024)) as core:
        assert "imported Seraphina" in _pajamas(core, "persona", "import", str(source))
        _pajamas(core, "persona", "export", "seraphina", "-o", str(tmp_path / "out.json"))
    original = read_png_card(seraphina_png)["data"]
    assert json.loads((tmp_path / "out.json").read_text())["data"] == original


def _pajamas(core: RunningCore, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "pajamas", *args], env=core_env(core.home),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_iter_items_walks_every_page_of_a_list(client: Client) -> None:
    names = {f"P{i}" for i in range(7)}
    for name in names:
        client.call("persona.create", {"name": name})
    walked = [p["name"] for p in client.iter_items("persona.list", page=3)]
    assert sorted(walked) == sorted(names)  # 3 pages of 3, 3 and 1, nothing twice


def test_a_png_card_s_image_survives_the_cli_round_trip(core: RunningCore,
                                                         tmp_path: Path) -> None:
    source = EXAMPLE_CARDS / SHIPPED["v2_png"]
    _pajamas(core, "persona", "import", str(source))
    _pajamas(core, "persona", "export", "Wren Ashdown", "-o", str(tmp_path / "out.png"))
    assert strip_card((tmp_path / "out.png").read_bytes()) == strip_card(source.read_bytes())
