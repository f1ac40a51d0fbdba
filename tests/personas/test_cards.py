"""Character cards: V2, V3 and V1 maps, the example card the project ships in its three forms,
a PNG card made by another tool (SillyTavern's), and our own PNG writer."""

from __future__ import annotations

import base64
import importlib.util
import json
import struct
import zlib
from types import ModuleType

import pytest

from pajamas.errors import InvalidParams
from pajamas.personas.cards import read_card, write_card
from pajamas.personas.png import read_png_card, strip_card, write_png_card
from tests.personas.conftest import EXAMPLE_CARDS, FORMS, SHIPPED, card_in, shipped_blob

LORE_KEYS = {"keys", "content", "enabled", "insertion_order", "priority", "constant", "position"}


@pytest.mark.parametrize("form", list(SHIPPED))
def test_the_example_card_reads_in_each_form(form: str, request: pytest.FixtureRequest) -> None:
    card = card_in(form, request)
    assert card["spec"] == ("chara_card_v3" if form == "v3_png" else "chara_card_v2")
    found = read_card(card)
    assert found.name == "Wren Ashdown" and found.description and found.system_prompt
    for field in ("personality", "scenario", "first_mes", "mes_example", "creator",
                  "post_history_instructions"):
        assert found.rest[field].strip(), field
    assert len(found.rest["alternate_greetings"]) >= 2 and found.rest["tags"]
    entries = found.rest["character_book"]["entries"]
    assert 3 <= len(entries) <= 5
    assert all(set(entry) >= LORE_KEYS and entry["keys"] and entry["enabled"]
               for entry in entries)
    assert {entry["position"] for entry in entries} <= {"before_char", "after_char"}


def test_the_example_card_is_the_same_card_in_each_form() -> None:
    v2 = json.loads(shipped_blob("v2_json"))
    assert read_png_card(shipped_blob("v2_png")) == v2
    v3 = read_png_card(shipped_blob("v3_png"))["data"]
    assert {key: v3[key] for key in v2["data"] if key != "character_book"} == {
        key: value for key, value in v2["data"].items() if key != "character_book"}
    assert [{k: v for k, v in entry.items() if k != "use_regex"}
            for entry in v3["character_book"]["entries"]] == v2["data"]["character_book"][
        "entries"]
    assert v3["assets"][0]["uri"] == "ccdefault:"  # the PNG itself is the icon


@pytest.mark.parametrize(("form", "keyword"), [("v2_png", b"chara"), ("v3_png", b"ccv3")])
def test_the_example_pngs_are_valid_images_with_one_card_chunk(form: str, keyword: bytes) -> None:
    chunks = _chunks(shipped_blob(form))
    assert [kind for kind, _ in chunks] == [b"IHDR", b"tEXt", b"IDAT", b"IEND"]
    for kind, (body, crc) in chunks:
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
    width, height, depth, colour = struct.unpack(">IIBB", chunks[0][1][0][:10])
    assert (width, height, depth, colour) == (128, 128, 8, 2)  # 8-bit RGB
    assert chunks[1][1][0].split(b"\0", 1)[0] == keyword
    pixels = zlib.decompress(chunks[2][1][0])
    assert len(pixels) == height * (1 + 3 * width)
    assert len(set(pixels)) > 50  # a picture, not a plain square


def test_make_cards_writes_what_is_shipped() -> None:
    made = _make_cards().FILES
    assert sorted(made) == sorted(SHIPPED.values())
    for name, make in made.items():
        shipped = (EXAMPLE_CARDS / name).read_bytes()
        if name.endswith(".json"):
            assert make() == shipped, name
        else:  # compared inflated: another zlib may deflate the same pixels differently
            assert _inflated(make()) == _inflated(shipped), name


@pytest.mark.shared_data
def test_a_real_png_card_reads_as_its_v2_card(seraphina_png: bytes) -> None:
    card = read_png_card(seraphina_png)
    assert card["spec"] == "chara_card_v2"
    found = read_card(card)
    assert found.name == "Seraphina"
    assert found.description.startswith("[Seraphina's Personality")
    assert found.rest["extensions"]["world"] == "Eldoria"


@pytest.mark.parametrize("form", FORMS)
def test_a_card_survives_a_round_trip_unchanged(form: str, request: pytest.FixtureRequest) -> None:
    card = card_in(form, request)
    found = read_card(card)
    again = write_card(found.name, found.description, found.system_prompt, found.rest)
    assert again["data"] == card["data"]  # a V3 card's own fields are kept too
    assert (again["spec"], again["spec_version"]) == ("chara_card_v2", "2.0")


def test_unknown_extension_keys_survive() -> None:
    card = {"spec": "chara_card_v2", "spec_version": "2.0",
            "data": {"name": "Ada", "extensions": {"vendor/x": {"deep": [1, 2]}}, "other": 5}}
    found = read_card(card)
    again = write_card(found.name, found.description, found.system_prompt, found.rest)
    assert again["data"]["extensions"] == {"vendor/x": {"deep": [1, 2]}}
    assert again["data"]["other"] == 5
    assert again["data"]["first_mes"] == ""  # the spec's fields are all there


def test_a_v1_card_is_read_from_its_flat_fields() -> None:
    found = read_card({"name": "Old", "description": "d", "personality": "p", "first_mes": "hi",
                       "avatar": "none"})
    assert (found.name, found.description) == ("Old", "d")
    assert found.rest == {"personality": "p", "first_mes": "hi"}


def test_a_v3_card_is_read_from_its_data() -> None:
    found = read_card({"spec": "chara_card_v3", "spec_version": "3.0",
                       "data": {"name": "New", "group_only_greetings": ["x"]}})
    assert found.name == "New" and found.rest["group_only_greetings"] == ["x"]


@pytest.mark.parametrize("card", [
    {"spec": "chara_card_v9", "data": {"name": "x"}},
    {"spec": "chara_card_v2", "data": "nope"},
    {"spec": "chara_card_v2", "data": {"name": " "}},
    {"spec": "chara_card_v2", "data": {"name": "x", "description": 3}},
    {"description": "no name"},
])
def test_what_is_not_a_card_is_invalid(card: dict[str, object]) -> None:
    with pytest.raises(InvalidParams) as caught:
        read_card(card)
    assert caught.value.field == "card"


def test_our_png_card_reads_back_and_is_a_valid_png() -> None:
    card = write_card("Ada", "a mathematician", "", {"extensions": {"k": "v"}})
    blob = write_png_card(card)
    assert read_png_card(blob) == card
    chunks = _chunks(blob)
    assert [kind for kind, _ in chunks] == [b"IHDR", b"tEXt", b"IDAT", b"IEND"]
    for kind, body in chunks:  # every CRC checks, and the pixels inflate to 64 rows
        assert body[1] == zlib.crc32(kind + body[0]) & 0xFFFFFFFF
    width, height = struct.unpack(">II", chunks[0][1][0][:8])
    assert len(zlib.decompress(chunks[2][1][0])) == height * (1 + 3 * width)


def test_ccv3_is_preferred_over_chara() -> None:
    blob = write_png_card({"spec": "chara_card_v2", "data": {"name": "Two"}})
    v3 = base64.b64encode(json.dumps({"spec": "chara_card_v3", "data": {"name": "Three"}})
                          .encode())
    iend = blob.rindex(b"IEND") - 4
    body = b"tEXtccv3\0" + v3
    chunk = struct.pack(">I", 5 + len(v3)) + body + struct.pack(">I", zlib.crc32(body))
    assert read_png_card(blob[:iend] + chunk + blob[iend:])["data"]["name"] == "Three"


def test_a_png_without_a_card_is_invalid() -> None:
    blob = strip_card(write_png_card({"data": {}}))
    with pytest.raises(InvalidParams, match="no character card"):
        read_png_card(blob)
    with pytest.raises(InvalidParams, match="not a PNG"):
        read_png_card(b"GIF89a")


def _chunks(blob: bytes) -> list[tuple[bytes, tuple[bytes, int]]]:
    at, found = 8, []
    while at < len(blob):
        length, kind = struct.unpack(">I4s", blob[at:at + 8])
        body = blob[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", blob[at + 8 + length:at + 12 + length])
        found.append((kind, (body, crc)))
        at += 12 + length
    return found


def _inflated(blob: bytes) -> list[tuple[bytes, bytes]]:
    """A PNG's chunks, IDAT inflated."""
    return [(kind, zlib.decompress(body) if kind == b"IDAT" else body)
            for kind, (body, _) in _chunks(blob)]


def _make_cards() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_cards", EXAMPLE_CARDS / "make_cards.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
