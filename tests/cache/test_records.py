"""The cache's wire formats: inverses, and damage always detected."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pajamas.cache.records import (
    CorruptRecord,
    Record,
    decode_key,
    encode_key,
    pack_record,
    pack_value,
    unpack_record,
    unpack_value,
)
from pajamas.errors import InvalidParams

scalars = (st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1)
           | st.floats(allow_nan=False) | st.text() | st.binary())
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=5) | st.integers(-100, 100), inner, max_size=4), max_leaves=20)
keys = st.text() | st.binary()
tags = st.lists(st.tuples(st.text(min_size=1, max_size=10), st.integers(0, 2**63 - 1)),
                max_size=3).map(tuple)
records = st.builds(Record, keys.map(encode_key), st.binary(max_size=300),
                    st.none() | st.floats(0, 4e9), st.integers(0, 2**32 - 1), tags)


@given(values)
def test_values_come_back_as_they_went_in(value: Any) -> None:
    assert unpack_value(pack_value(value)) == value


@pytest.mark.parametrize("value", [object(), {1, 2}, 2**64, math.nan + 1j])
def test_values_msgpack_cannot_carry_are_invalid_params(value: Any) -> None:
    with pytest.raises(InvalidParams) as caught:
        pack_value(value)
    assert caught.value.field == "value"


@given(keys)
def test_keys_encode_and_decode(key: str | bytes) -> None:
    assert decode_key(encode_key(key)) == key


def test_a_str_key_and_its_utf8_bytes_stay_distinct() -> None:
    assert encode_key("k") != encode_key(b"k")
    with pytest.raises(InvalidParams):
        encode_key(5)  # type: ignore[arg-type]


@given(records, st.booleans())
def test_records_round_trip(record: Record, checksum: bool) -> None:
    assert unpack_record(pack_record(record, checksum=checksum), checksum=checksum) == record


@given(records, st.data())
def test_any_changed_byte_of_a_checksummed_record_is_detected(record: Record,
                                                              data: st.DataObject) -> None:
    packed = bytearray(pack_record(record))
    where = data.draw(st.integers(0, len(packed) - 1))
    packed[where] ^= data.draw(st.integers(1, 255))
    with pytest.raises(CorruptRecord):
        unpack_record(bytes(packed))


@given(records, st.data())
def test_a_truncated_record_is_detected(record: Record, data: st.DataObject) -> None:
    packed = pack_record(record)
    with pytest.raises(CorruptRecord):
        unpack_record(packed[:data.draw(st.integers(0, len(packed) - 1))])


def test_a_reader_that_expects_a_checksum_refuses_a_record_without_one() -> None:
    packed = pack_record(Record(encode_key("k"), b"v", None, 1), checksum=False)
    with pytest.raises(CorruptRecord, match="checksum"):
        unpack_record(packed)
