"""Character cards: V2, V3 and V1 maps, PNG cards made by other tools, and our own PNG writer."""

from __future__ import annotations

import base64
import json
import struct
import zlib

import pytest

from pajamas.errors import InvalidParams
from pajamas.personas.cards import read_card, write_card
from pajamas.personas.png import read_png_card, write_png_card


def test_a_real_png_card_reads_as_its_v2_card(seraphina_png: bytes) -> None:
    card = read_png_card(seraphina_png)
    assert card["spec"] == "chara_card_v2"
    found = read_card(card)
    assert found.name == "Seraphina"
    assert found.description.startswith("[Seraphina's Personality")
    assert found.rest["extensions"]["world"] == "Eldoria"


def test_a_v2_card_survives_a_round_trip_unchanged(seraphina_png: bytes) -> None:
    card = read_png_card(seraphina_png)
    found = read_card(card)
    again = write_card(found.name, found.description, found.system_prompt, found.rest)
    assert again["data"] == card["data"]
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
    chunk = struct.pack(">I", 5 + len(v3)) + b"tEXtccv3\0" + v3 + b"\0\0\0\0"
    assert read_png_card(blob[:iend] + chunk + blob[iend:])["data"]["name"] == "Three"


def test_a_png_without_a_card_is_invalid() -> None:
    blob = write_png_card({"data": {}}).replace(b"tEXtchara", b"tEXtother")
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
