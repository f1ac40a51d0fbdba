"""The cache's wire formats: values as msgpack bytes, keys as tagged bytes, records on disk.

``pack_value``/``unpack_value``, ``encode_key``/``decode_key`` and ``pack_record``/
``unpack_record`` are documented inverses.  A record is what the disk tiers store::

    offset  size  field
    0       2     magic b"PJ"
    2       1     format version (1)
    3       1     flags: bit 0 = has an expiry, bit 1 = carries a crc32
    4       4     crc32 of every other byte of the record (0 when bit 1 is clear)
    8       8     expires_at, seconds since the epoch (float64; 0 when bit 0 is clear)
    16      4     uses: times the value was set or read before it was written here
    20      4     key length K
    24      4     tags length T
    28      K     the encoded key
    28+K    T     the tags: msgpack [[tag, epoch], ...] (absent when T = 0)
    28+K+T  ...   the value (msgpack bytes)

The warm tier's records carry the crc32 (and its reader insists on it); the cold tier's don't,
because its zstd frames carry their own checksum.  A record that fails any check raises
`CorruptRecord`, which the tiers turn into a miss: a damaged record is never returned.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any, Final, NamedTuple

import msgpack

from pajamas.errors import InvalidParams

Key = str | bytes
#: A value's tags with the epoch each had when the value was made: ((tag, epoch), ...).
Tags = tuple[tuple[str, int], ...]

_MAGIC: Final = b"PJ"
_VERSION: Final = 1
_HAS_EXPIRY: Final = 1
_HAS_CRC: Final = 2
_HEADER: Final = struct.Struct("<2sBBIdIII")
_CRC_AT: Final = slice(4, 8)  # the crc covers every byte but these
_STR_KEY: Final = b"s"
_BYTES_KEY: Final = b"b"



class CorruptRecord(ValueError):
    """A stored record failed a check (magic, version, length, checksum, key); never escapes
    the cache: the tier that read it deletes it and reports a miss."""


class Record(NamedTuple):
    """A value as the disk tiers keep it, with what the cache needs to judge it.

    (A named tuple: the warm tier makes one per read, and a frozen dataclass costs ten times
    as much to build.)
    """

    key: bytes  # encoded with `encode_key`
    value: bytes  # msgpack bytes
    expires_at: float | None
    uses: int
    tags: Tags = ()


def pack_value(value: Any) -> bytes:
    """The msgpack bytes of value; `InvalidParams` if msgpack cannot represent it."""
    try:
        return msgpack.packb(value, use_bin_type=True)  # type: ignore[no-any-return]
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidParams(f"a cached value must be msgpack-serializable (None, bool, int, "
                            f"float, str, bytes, list, dict): {exc}", field="value") from None


def unpack_value(data: bytes) -> Any:
    """The value whose msgpack bytes are data (tuples come back as lists)."""
    # Int map keys are allowed back: a value must come out as it went in.  (Spelled out here:
    # a **options call or a functools.partial costs twice the unpacking of a small value.)
    return msgpack.unpackb(data, strict_map_key=False)


def encode_key(key: Key) -> bytes:
    """The bytes the disk tiers store for key; a str and the bytes of its UTF-8 stay distinct."""
    if type(key) is str:
        return _STR_KEY + key.encode("utf-8", "surrogatepass")
    if type(key) is bytes:
        return _BYTES_KEY + key
    raise InvalidParams(f"a cache key is a str or bytes, not {type(key).__name__}", field="key")


def decode_key(data: bytes) -> Key:
    """The key that `encode_key` turned into data."""
    kind, body = data[:1], data[1:]
    if kind == _STR_KEY:
        return body.decode("utf-8", "surrogatepass")
    if kind == _BYTES_KEY:
        return body
    raise CorruptRecord(f"not an encoded cache key: {data[:20]!r}")


def pack_record(record: Record, *, checksum: bool = True) -> bytes:
    """The bytes of record in the format above."""
    tags = msgpack.packb([list(pair) for pair in record.tags]) if record.tags else b""
    flags = (_HAS_EXPIRY if record.expires_at is not None else 0) | (_HAS_CRC if checksum else 0)
    header = _HEADER.pack(_MAGIC, _VERSION, flags, 0, record.expires_at or 0.0, record.uses,
                          len(record.key), len(tags))
    data = bytearray(header)
    data += record.key
    data += tags
    data += record.value
    if checksum:
        struct.pack_into("<I", data, _CRC_AT.start, _crc(data))
    return bytes(data)


def unpack_record(data: bytes, *, checksum: bool = True) -> Record:
    """The record packed in data; `CorruptRecord` when any check fails, or when checksum is
    expected and the record has none."""
    if len(data) < _HEADER.size:
        raise CorruptRecord(f"a record is at least {_HEADER.size} bytes, not {len(data)}")
    magic, version, flags, crc, expires_at, uses, key_len, tags_len = _HEADER.unpack_from(data)
    if magic != _MAGIC or version != _VERSION:
        raise CorruptRecord(f"bad record magic or version: {data[:3]!r}")
    if checksum and (not flags & _HAS_CRC or _crc(data) != crc):
        raise CorruptRecord("record checksum mismatch")
    start = _HEADER.size
    if start + key_len + tags_len > len(data):
        raise CorruptRecord("record lengths overrun the data")
    body = start + key_len + tags_len
    tags = _unpack_tags(data[start + key_len:body]) if tags_len else ()
    return Record(data[start:start + key_len], data[body:],
                  expires_at if flags & _HAS_EXPIRY else None, uses, tags)


def _crc(data: bytes | bytearray) -> int:
    # Slices, not a memoryview: copying a few KB costs less than making the view.
    return zlib.crc32(data[_CRC_AT.stop:], zlib.crc32(data[:_CRC_AT.start]))


def _unpack_tags(data: bytes) -> Tags:
    try:
        pairs = msgpack.unpackb(data, raw=False)
        return tuple((str(tag), int(epoch)) for tag, epoch in pairs)
    except (ValueError, TypeError, msgpack.UnpackException) as exc:
        raise CorruptRecord(f"record tags are unreadable: {exc}") from None
