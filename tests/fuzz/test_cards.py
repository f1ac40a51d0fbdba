"""Hostile Character Cards: mutated PNG and JSON cards, zlib bombs, cut and damaged chunks.

The parser either reads a card or raises `InvalidParams` naming what is wrong; an import it
refuses creates no persona; a compressed chunk is never inflated past the card limit.
"""

from __future__ import annotations

import base64
import json
import struct
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pajamas.errors import InvalidParams
from pajamas.personas.imports import CardFile, card_files, import_card, import_files
from pajamas.personas.png import MAX_CARD_BYTES, read_png_card, write_png_card
from pajamas.personas.service import PersonaService
from pajamas.store.metadata import MetadataStore
from tests.conftest import ROOT

CARDS: Final = ROOT / "examples" / "cards"
PNG: Final = (CARDS / "wren-ashdown.png").read_bytes()
PNG_V3: Final = (CARDS / "wren-ashdown-v3.png").read_bytes()
JSON_CARD: Final = (CARDS / "wren-ashdown.json").read_bytes()
SIGNATURE: Final = PNG[:8]
FUZZ: Final = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                       # the persona service may keep personas from one example to the next
                       suppress_health_check=[HealthCheck.too_slow,
                                              HealthCheck.function_scoped_fixture])


@pytest.fixture
def service(tmp_path: Path) -> Iterator[PersonaService]:
    store = MetadataStore.open(tmp_path)
    yield PersonaService(store)
    store.close()


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_with(*chunks: bytes) -> bytes:
    """A PNG: the example's image chunks (its card left out), then chunks, then IEND."""
    return SIGNATURE + chunk(b"IHDR", PNG[16:29]) + b"".join(chunks) + chunk(b"IEND", b"")


def card_text(name: str = "Zed") -> bytes:
    return base64.b64encode(json.dumps({"spec": "chara_card_v2",
                                        "data": {"name": name}}).encode())


# -- properties --------------------------------------------------------------------------------

@st.composite
def mutated(draw: st.DrawFn, blob: bytes) -> bytes:
    """blob with a few bytes flipped, cut, inserted or removed."""
    data = bytearray(blob)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        if action == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[at:at + draw(st.integers(1, 16))]
    return bytes(data)


@FUZZ
@given(mutated(PNG) | mutated(PNG_V3))
def test_a_mutated_png_card_is_read_or_refused_with_invalid_params(blob: bytes) -> None:
    try:
        card = read_png_card(blob)
    except InvalidParams as exc:
        assert exc.field == "card" and str(exc)
    else:
        assert isinstance(card, dict)


@FUZZ
@given(mutated(JSON_CARD) | mutated(PNG))
def test_a_mutated_card_file_is_imported_or_skipped_with_its_reason(
        tmp_path_factory: pytest.TempPathFactory, blob: bytes) -> None:
    store = MetadataStore.open(tmp_path_factory.mktemp("cards"))
    try:
        result = import_files(PersonaService(store), card_files([{"name": "c", "data": blob}]),
                              _NoTask())
        (item,) = result["items"]
        assert item["status"] == "imported" or item["reason"]
        assert PersonaService(store).list()["total"] == result["imported"]
    finally:
        store.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3), max_leaves=10)
card_shapes = st.fixed_dictionaries({}, optional={
    "spec": st.sampled_from(["chara_card_v2", "chara_card_v3", "other"]) | json_values,
    "name": json_values | st.text(max_size=10),
    "data": st.fixed_dictionaries({}, optional=dict.fromkeys(
        ("name", "description", "system_prompt", "tags", "character_book", "extensions",
         "first_mes"), json_values)) | json_values,
})


@FUZZ
@given(card_shapes)
def test_a_card_map_of_any_shape_is_imported_or_refused(service: PersonaService,
                                                        card: dict[str, Any]) -> None:
    before = service.list()["total"]
    try:
        import_card(service, card)
    except InvalidParams as exc:
        assert exc.field == "card" and str(exc)
        assert service.list()["total"] == before
    except Exception as exc:  # a Conflict (a name taken earlier) is a deliberate refusal too
        assert getattr(exc, "code", "internal") == "conflict", repr(exc)


class _NoTask:
    def progress(self, fraction: float, message: str) -> None:
        """Progress goes nowhere in these tests."""


# -- the named hostile cases -------------------------------------------------------------------

def bomb(size: int) -> bytes:
    """zlib data that inflates to size bytes of zeros (its final checksum aside): one MiB
    compressed after a full flush is a block that stands alone, so it is repeated as is."""
    packer = zlib.compressobj(9)
    block = bytes(1 << 20)
    head = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    return head + again * ((size >> 20) - 1) + packer.flush()


GIGA_BOMB: Final = bomb(1 << 30)  # 1 GiB inflated, about 1 MB compressed


@pytest.mark.parametrize(("blob", "names"), [
    (b"GIF89a" + bytes(20), "must be a PNG"),
    (PNG[:40], "cut short"),
    (PNG[:-20], "cut short"),
    (PNG[:20] + bytes([PNG[20] ^ 1]) + PNG[21:], "IHDR chunk at byte 8 fails its CRC"),
    (png_with(chunk(b"tEXt", b"chara\0" + b"@@not base64@@")), "chara chunk is not base64 JSON"),
    (png_with(chunk(b"tEXt", b"chara\0" + base64.b64encode(b"[1, 2]"))), "holds no map"),
    (png_with(chunk(b"tEXt", b"chara\0" + base64.b64encode(b"[" * 100_000))), "nested too"),
    (png_with(chunk(b"tEXt", b"other\0text")), "no character card"),
    (png_with(chunk(b"zTXt", b"chara\0\0" + GIGA_BOMB)), "inflates to over"),
    (png_with(chunk(b"iTXt", b"ccv3\0\1\0en\0\0" + GIGA_BOMB)), "inflates to over"),
    (png_with(chunk(b"zTXt", b"chara\0\0" + zlib.compress(card_text())[:-6])), "cut short"),
    (png_with(chunk(b"zTXt", b"chara\0\0not zlib")), "not valid zlib"),
    (png_with(chunk(b"zTXt", b"chara\0\7" + zlib.compress(card_text()))), "compression method"),
    (png_with(chunk(b"iTXt", b"chara\0\1\0en-only")), "lacks its language"),
])
def test_a_hostile_png_is_refused_naming_the_problem(service: PersonaService, blob: bytes,
                                                     names: str) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(InvalidParams, match=names) as caught:
            import_card(service, blob)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.field == "card"
    assert service.list()["total"] == 0, "a refused card created a persona"
    # A bomb is inflated only to the card limit (zlib's buffer grows by copies), not to 1 GiB.
    assert peak < 3 * MAX_CARD_BYTES, f"peak {peak >> 20} MB"


def test_a_50_mb_card_chunk_is_refused_by_its_size(service: PersonaService) -> None:
    blob = png_with(chunk(b"tEXt", b"chara\0" + b"A" * (50 * 1024 * 1024)))
    with pytest.raises(InvalidParams, match=r"chara chunk is \d+ bytes, over the limit"):
        import_card(service, blob)
    assert service.list()["total"] == 0


def test_a_50_mb_chunk_that_is_no_card_is_passed_over_without_a_copy() -> None:
    blob = png_with(chunk(b"tEXt", b"comment\0" + b"A" * (50 * 1024 * 1024)),
                    chunk(b"tEXt", b"chara\0" + card_text("Big")))
    tracemalloc.start()
    try:
        assert read_png_card(blob)["data"]["name"] == "Big"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024, f"peak {peak >> 10} KB"


@pytest.mark.parametrize("make", [
    lambda text: chunk(b"tEXt", b"chara\0" + text),
    lambda text: chunk(b"zTXt", b"chara\0\0" + zlib.compress(text)),
    lambda text: chunk(b"iTXt", b"chara\0\0\0en\0Chara\0" + text),
    lambda text: chunk(b"iTXt", b"chara\0\1\0\0\0" + zlib.compress(text)),
])
def test_a_card_in_any_text_chunk_is_read(make: Any) -> None:
    assert read_png_card(png_with(make(card_text("Ink"))))["data"]["name"] == "Ink"


def test_the_ccv3_chunk_wins_whatever_its_kind() -> None:
    v3 = base64.b64encode(json.dumps({"spec": "chara_card_v3", "data": {"name": "Three"}})
                          .encode())
    blob = png_with(chunk(b"tEXt", b"chara\0" + card_text("Two")),
                    chunk(b"zTXt", b"ccv3\0\0" + zlib.compress(v3)))
    assert read_png_card(blob)["data"]["name"] == "Three"


def test_a_written_card_reads_back() -> None:
    card = {"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "Round"}}
    assert read_png_card(write_png_card(card, PNG)) == card


@pytest.mark.parametrize(("data", "names"), [
    (b"[" * 100_000, "nested too deeply"),
    (b"\xff\xfe not utf-8", "neither a PNG card nor JSON"),
    (b'"a string"', "its JSON is no map"),
    (b'{"spec": "chara_card_v2", "data": []}', "needs a map `data`"),
    (b'{"spec": "chara_card_v2", "data": {"name": 7}}', "name must be text"),
    (b'{"spec": "chara_card_v2", "data": {"name": "T", "tags": [1]}}', "tag"),
])
def test_a_hostile_json_card_file_is_skipped_with_the_reason(service: PersonaService,
                                                             data: bytes, names: str) -> None:
    result = import_files(service, [CardFile("bad.json", data)], _NoTask())  # type: ignore[arg-type]
    assert result["imported"] == 0
    assert names in result["items"][0]["reason"]
    assert service.list()["total"] == 0
