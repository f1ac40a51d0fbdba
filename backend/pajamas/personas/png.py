"""PNG character cards: the card is base64 JSON in a text chunk named `ccv3` or `chara`.

Reading prefers `ccv3` (the newer spec) over `chara`, in a tEXt chunk (as SillyTavern writes
it) or a zTXt or iTXt one (compressed or international text, as some editors write it).  A
hostile file is refused with `InvalidParams` naming what is wrong: not a PNG, a chunk cut
short or failing its CRC, a card chunk over `MAX_CARD_BYTES` (a compressed one is inflated
only that far: a zlib bomb costs no more memory than an honest card), text that is not
base64 JSON.  Writing makes a small image with a plain zlib + struct PNG writer (no imaging
library) and puts the V2 card in a `chara` chunk, which every card tool reads.
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
TEXT_KINDS: Final = (b"tEXt", b"zTXt", b"iTXt")
#: The largest card text read, compressed or inflated (a big lore book is a few MB).
MAX_CARD_BYTES: Final = 16 * 1024 * 1024
IMAGE_SIZE: Final = 64
_KEYWORD_MAX: Final = 80  # the PNG spec's longest keyword


def is_png(blob: bytes) -> bool:
    """Whether blob starts like a PNG file."""
    return blob.startswith(SIGNATURE)


def read_png_card(blob: bytes) -> dict[str, Any]:
    """The card in a PNG card; `InvalidParams` (field "card") when it has none or it is broken."""
    found: dict[bytes, tuple[bytes, memoryview]] = {}
    for kind, body in _chunks(blob):
        key = _card_key(kind, body)
        if key is not None:
            found.setdefault(key, (kind, body))
    for key in CARD_KEYS:
        if key in found:
            return _decode(key, _card_text(key, *found[key]))
    raise _invalid("the PNG has no character card (no `ccv3` or `chara` text chunk)")


def write_png_card(card: dict[str, Any], image: bytes | None = None) -> bytes:
    """A PNG image carrying card in a `chara` tEXt chunk: image (a PNG, its own card chunks
    left out) when given, else a plain square."""
    payload = base64.b64encode(json.dumps(card, ensure_ascii=False).encode("utf-8"))
    text = _chunk(b"tEXt", b"chara\0" + payload)
    if image is not None and is_png(image):
        chunks = list(_chunks(strip_card(image)))
        head = b"".join(_chunk(kind, bytes(body)) for kind, body in chunks if kind != b"IEND")
        return SIGNATURE + head + text + _chunk(b"IEND", b"")
    header = struct.pack(">IIBBBBB", IMAGE_SIZE, IMAGE_SIZE, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"".join((SIGNATURE, _chunk(b"IHDR", header), text,
                     _chunk(b"IDAT", zlib.compress(_pixels(card))), _chunk(b"IEND", b"")))


def strip_card(blob: bytes) -> bytes:
    """The PNG without its card chunks: the avatar image alone."""
    kept = (_chunk(kind, bytes(body)) for kind, body in _chunks(blob)
            if _card_key(kind, body) is None)
    return SIGNATURE + b"".join(kept)


def _chunks(blob: bytes) -> Iterator[tuple[bytes, memoryview]]:
    """(type, body) of every chunk, in file order, up to IEND; each checked whole and by CRC.

    Bodies are views into blob: a 50 MB chunk nobody reads is never copied.
    """
    if not is_png(blob):
        raise _invalid("not a PNG file (its signature is wrong)")
    view = memoryview(blob)
    at = len(SIGNATURE)
    while at < len(blob):
        if at + 8 > len(blob):
            raise _invalid(f"the PNG is cut short: {len(blob) - at} stray bytes at byte {at}, "
                           "where a chunk should start")
        length, kind = struct.unpack(">I4s", view[at:at + 8])
        end = at + 12 + length  # length, type, body, CRC
        if end > len(blob):
            raise _invalid(f"the PNG is cut short: its {_name(kind)} chunk at byte {at} claims "
                           f"{length} bytes, but the file ends {len(blob) - at - 12} bytes in")
        body = view[at + 8:end - 4]
        (crc,) = struct.unpack(">I", view[end - 4:end])
        if zlib.crc32(body, zlib.crc32(kind)) & 0xFFFFFFFF != crc:
            raise _invalid(f"the PNG's {_name(kind)} chunk at byte {at} fails its CRC check: "
                           "the file is damaged")
        yield kind, body
        if kind == b"IEND":
            return
        at = end


def _card_key(kind: bytes, body: memoryview) -> bytes | None:
    """The card keyword (ccv3 or chara) of a text chunk that holds a card, else None."""
    if kind not in TEXT_KINDS:
        return None
    keyword = bytes(body[:_KEYWORD_MAX + 1]).split(b"\0", 1)[0]
    return keyword if keyword in CARD_KEYS else None


def _card_text(key: bytes, kind: bytes, body: memoryview) -> bytes:
    """The text of a card chunk, inflated (at most MAX_CARD_BYTES) when it is compressed."""
    name = key.decode()
    rest = body[len(key) + 1:]
    if len(rest) > MAX_CARD_BYTES:
        raise _invalid(f"the PNG's {name} chunk is {len(rest)} bytes, over the limit of "
                       f"{MAX_CARD_BYTES} bytes for a card")
    if kind == b"tEXt":
        return bytes(rest)
    if kind == b"zTXt":  # compression method (0: zlib), then the text
        if not rest:
            raise _invalid(f"the PNG's {name} zTXt chunk is cut short")
        return _inflate(name, rest[1:]) if rest[0] == 0 else _unknown_method(name)
    # iTXt: compression flag, method, language tag \0, translated keyword \0, text
    if len(rest) < 2:
        raise _invalid(f"the PNG's {name} iTXt chunk is cut short")
    flag, method = rest[0], rest[1]
    parts = bytes(rest[2:2 + 2 * _KEYWORD_MAX + 2]).split(b"\0", 2)
    if len(parts) < 3:
        raise _invalid(f"the PNG's {name} iTXt chunk lacks its language and keyword fields")
    text = rest[2 + len(parts[0]) + len(parts[1]) + 2:]
    if flag == 0:
        return bytes(text)
    return _inflate(name, text) if method == 0 else _unknown_method(name)


def _inflate(name: str, data: memoryview) -> bytes:
    """data inflated, refused once it grows past MAX_CARD_BYTES (never inflated further)."""
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(data, MAX_CARD_BYTES + 1)
    except zlib.error as exc:
        raise _invalid(f"the PNG's {name} chunk is not valid zlib data: {exc}") from None
    if len(text) > MAX_CARD_BYTES or inflater.unconsumed_tail:
        raise _invalid(f"the PNG's {name} chunk inflates to over {MAX_CARD_BYTES} bytes, the "
                       "limit for a card")
    if not inflater.eof:
        raise _invalid(f"the PNG's {name} chunk is cut short: its zlib data ends early")
    return text


def _unknown_method(name: str) -> bytes:
    raise _invalid(f"the PNG's {name} chunk uses an unknown compression method")


def _name(kind: bytes) -> str:
    return kind.decode("latin-1").encode("unicode_escape").decode("ascii")


def _invalid(message: str) -> InvalidParams:
    return InvalidParams(message, field="card")


def _decode(key: bytes, text: bytes) -> dict[str, Any]:
    try:
        card = json.loads(base64.b64decode(text, validate=False))
    except (binascii.Error, ValueError) as exc:
        raise _invalid(f"the PNG's {key.decode()} chunk is not base64 JSON: {exc}") from exc
    except RecursionError:
        raise _invalid(f"the PNG's {key.decode()} chunk holds JSON nested too deeply") from None
    if not isinstance(card, dict):
        raise _invalid(f"the PNG's {key.decode()} chunk holds no map")
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
