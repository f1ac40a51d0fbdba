"""PNG character cards: the card is base64 JSON in a tEXt chunk named `ccv3` or `chara`.

Reading prefers `ccv3` (the newer spec) over `chara`.  Writing makes a small image with a plain
zlib + struct PNG writer (no imaging library) and puts the V2 card in a `chara` chunk, which
every card tool reads.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any, Final

from pajamas.errors import InvalidParams

SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
CARD_KEYS: Final = (b"ccv3", b"chara")  # in order of preference
IMAGE_SIZE: Final = 64


def is_png(blob: bytes) -> bool:
    """Whether blob starts like a PNG file."""
    return blob.startswith(SIGNATURE)


def read_png_card(blob: bytes) -> dict[str, Any]:
    """The card in a PNG card; `InvalidParams` (field "card") when it has none."""
    texts = dict(_text_chunks(blob))
    for key in CARD_KEYS:
        if key in texts:
            return _decode(key, texts[key])
    raise InvalidParams("the PNG has no character card (no `ccv3` or `chara` tEXt chunk)",
                        field="card")


def write_png_card(card: dict[str, Any], image: bytes | None = None) -> bytes:
    """A PNG image carrying card in a `chara` tEXt chunk: image (a PNG, its own card chunks
    left out) when given, else a plain square."""
    payload = base64.b64encode(json.dumps(card, ensure_ascii=False).encode("utf-8"))
    text = _chunk(b"tEXt", b"chara\0" + payload)
    if image is not None and is_png(image):
        chunks = list(_chunks(strip_card(image)))
        head = b"".join(_chunk(kind, body) for kind, body in chunks if kind != b"IEND")
        return SIGNATURE + head + text + _chunk(b"IEND", b"")
    header = struct.pack(">IIBBBBB", IMAGE_SIZE, IMAGE_SIZE, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"".join((SIGNATURE, _chunk(b"IHDR", header), text,
                     _chunk(b"IDAT", zlib.compress(_pixels(card))), _chunk(b"IEND", b"")))


def strip_card(blob: bytes) -> bytes:
    """The PNG without its card chunks: the avatar image alone."""
    kept = (_chunk(kind, body) for kind, body in _chunks(blob)
            if not (kind == b"tEXt" and body.split(b"\0", 1)[0] in CARD_KEYS))
    return SIGNATURE + b"".join(kept)


def _chunks(blob: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, body) of every chunk, in file order, up to IEND."""
    if not is_png(blob):
        raise InvalidParams("not a PNG file (its signature is wrong)", field="card")
    at = len(SIGNATURE)
    while at + 8 <= len(blob):
        length, kind = struct.unpack(">I4s", blob[at:at + 8])
        yield kind, blob[at + 8:at + 8 + length]
        if kind == b"IEND":
            return
        at += 12 + length  # length, type, body, CRC


def _text_chunks(blob: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(keyword, text) of every tEXt chunk, in file order."""
    for kind, body in _chunks(blob):
        if kind == b"tEXt" and b"\0" in body:
            keyword, text = body.split(b"\0", 1)
            yield keyword, text


def _decode(key: bytes, text: bytes) -> dict[str, Any]:
    try:
        card = json.loads(base64.b64decode(text, validate=False))
    except (binascii.Error, ValueError) as exc:
        raise InvalidParams(f"the PNG's {key.decode()} chunk is not base64 JSON: {exc}",
                            field="card") from exc
    if not isinstance(card, dict):
        raise InvalidParams(f"the PNG's {key.decode()} chunk holds no map", field="card")
    return card


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def _pixels(card: dict[str, Any]) -> bytes:
    """A plain square in a colour drawn from the card's name, one filter byte per row."""
    name = str(card.get("data", {}).get("name", ""))
    colour = hashlib.sha256(name.encode("utf-8")).digest()[:3]
    row = b"\0" + colour * IMAGE_SIZE
    return row * IMAGE_SIZE
