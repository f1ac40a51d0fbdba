"""An approximate memory of recently seen keys, so one-hit wonders don't churn the disk.

A value leaves the hot tier for the warm one only if it was used twice.  The hot tier counts
the reads of its own entries, but a key read twice far apart is evicted between the reads and
comes back as a new entry with a count of one; this filter remembers that it was seen before.
It is two Bloom filters (TinyLFU's "doorkeeper"): keys go into the current one, lookups ask
both, and when the current one has taken its share of keys it becomes the old one and a new
one starts, so the memory spans the last one to two generations at a fixed size.

A false positive (about 1% at the chosen load) only demotes a value that did not earn it.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Final, final

#: Keys a generation takes per bit before it turns over: 1/16 with two probes gives ~1.4% false
#: positives at the end of a generation.
_KEYS_PER_BIT: Final = 1 / 16
_MASK64: Final = (1 << 64) - 1
_SPREAD: Final = 0x9E3779B97F4A7C15  # 2**64 / the golden ratio, odd: a bijection mod 2**64


@final
class Doorkeeper:
    """Remembers about `bits` / 16 to `bits` / 8 recent keys in 2 x `bits` bits."""

    def __init__(self, bits: int = 1 << 21) -> None:
        if bits < 64 or bits & (bits - 1):
            raise ValueError(f"bits must be a power of two of at least 64, not {bits}")
        self._mask = bits - 1
        self._shift = bits.bit_length()
        self._capacity = max(1, int(bits * _KEYS_PER_BIT))
        self._current = bytearray(bits // 8)
        self._old = bytearray(bits // 8)
        self._added = 0

    def seen(self, key: Hashable) -> bool:
        """Whether key was probably added in the current or the previous generation."""
        first, second = self._probes(key)
        return _has(self._current, first, second) or _has(self._old, first, second)

    def add(self, key: Hashable) -> bool:
        """Remember key; returns whether it was (probably) remembered already."""
        first, second = self._probes(key)
        current = self._current
        low, high = 1 << (first & 7), 1 << (second & 7)
        if current[first >> 3] & low and current[second >> 3] & high:
            return True
        current[first >> 3] |= low
        current[second >> 3] |= high
        known = _has(self._old, first, second)
        self._added += 1
        if self._added >= self._capacity:
            self._turn_over()
        return known

    def _probes(self, key: Hashable) -> tuple[int, int]:
        # Python's hash is salted per process, which is fine for a memory that lives in it; the
        # multiply spreads hashes that vary only in their low bits (small ints) over all 64.
        value = (hash(key) * _SPREAD) & _MASK64
        return value & self._mask, (value >> self._shift) & self._mask

    def _turn_over(self) -> None:
        self._old = self._current
        self._current = bytearray(len(self._old))
        self._added = 0


def _has(bits: bytearray, first: int, second: int) -> bool:
    return bool(bits[first >> 3] >> (first & 7) & 1 and bits[second >> 3] >> (second & 7) & 1)
