"""The doorkeeper remembers recent keys for two generations, with few false positives."""

from __future__ import annotations

import pytest

from pajamas.cache.doorkeeper import Doorkeeper


def test_a_key_is_remembered_once_added() -> None:
    door = Doorkeeper(1 << 12)
    assert not door.seen("a") and not door.add("a")
    assert door.seen("a") and door.add("a")


def test_memory_spans_one_to_two_generations() -> None:
    # int keys: their hashes are not salted per process, so this test is deterministic
    door = Doorkeeper(1 << 12)  # 256 keys per generation
    door.add(10**9)
    for i in range(255):
        door.add(i)
    assert door.seen(10**9)  # now in the previous generation
    for i in range(1000, 1600):  # two more generations, whatever the false positives
        door.add(i)
    assert not door.seen(10**9)


def test_false_positives_stay_rare() -> None:
    door = Doorkeeper(1 << 16)
    for i in range(4000):  # most of a generation
        door.add(i)
    false = sum(door.seen(i) for i in range(10**6, 10**6 + 10_000))
    assert false < 300  # ~1% expected


@pytest.mark.parametrize("bits", [0, 63, 1000])
def test_sizes_are_powers_of_two(bits: int) -> None:
    with pytest.raises(ValueError, match="power of two"):
        Doorkeeper(bits)
