"""Avatars: the image a card carries, and the small thumbnail a page of the library shows.

The core has no image library, so it never scales an image: a thumbnail is either the avatar
itself, when that is already small (`THUMBNAIL_BYTES`), or one the window made (it has a
canvas) and sent along.  A persona whose avatar is large and came without a thumbnail lists
with none (the window shows its initials) until the window sends one.
"""

from __future__ import annotations

import base64
import binascii
from typing import Final

from pajamas.errors import InvalidParams

AVATAR_BYTES: Final = 8 * 1024 * 1024
THUMBNAIL_BYTES: Final = 12 * 1024  # 200 rows of a page stay under 2.5 MB
_MAGIC: Final = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
                 (b"GIF8", "image/gif"))


def image_type(blob: bytes) -> str | None:
    """The image's media type by its first bytes (PNG, JPEG, GIF or WebP), or None."""
    for magic, kind in _MAGIC:
        if blob.startswith(magic):
            return kind
    if blob[:4] == b"RIFF" and blob[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_bytes(field: str, value: str | bytes, *, most: int) -> bytes:
    """The image in value (bytes, a data: URL or base64 text), checked; `InvalidParams`."""
    blob = value if isinstance(value, bytes) else _decode(field, value)
    if image_type(blob) is None:
        raise InvalidParams(f"{field} must be a PNG, JPEG, GIF or WebP image", field=field)
    if len(blob) > most:
        raise InvalidParams(f"{field} has {len(blob)} bytes, over {most}: use a smaller image",
                            field=field)
    return blob


def data_url(blob: bytes) -> str:
    """The image as a data: URL."""
    return f"data:{image_type(blob)};base64,{base64.b64encode(blob).decode('ascii')}"


def thumbnail_of(avatar: bytes | None, given: str | bytes | None = None) -> str | None:
    """The thumbnail to list: the one given (checked), else the avatar when it is small."""
    if given:
        return data_url(image_bytes("thumbnail", given, most=THUMBNAIL_BYTES))
    if avatar is not None and len(avatar) <= THUMBNAIL_BYTES:
        return data_url(avatar)
    return None


def _decode(field: str, text: str) -> bytes:
    payload = text.split(",", 1)[1] if text.startswith("data:") and "," in text else text
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidParams(f"{field} is neither bytes nor a base64 data: URL: {exc}",
                            field=field) from exc
