"""The cache's statistics: counters per namespace and tier, and sampled latencies.

Counters are plain ints bumped where the event happens.  Latencies go into a ring of the
latest `WINDOW` samples per operation, so a snapshot shows recent behaviour at a fixed memory
cost, and the hot tier's reads are timed one in `SAMPLE_EVERY` (timing costs as much as the
read itself).
"""

from __future__ import annotations

from typing import Final, TypedDict, final

#: Samples kept per latency ring.
WINDOW: Final = 1024
#: Hot-tier reads are timed one in this many (a power of two).
SAMPLE_EVERY: Final = 16
SAMPLE_MASK: Final = SAMPLE_EVERY - 1
TIERS: Final = ("hot", "warm", "cold")
_NS_PER_US: Final = 1000.0


@final
class Latencies:
    """The latest `WINDOW` durations of one operation, in nanoseconds."""

    __slots__ = ("_count", "_ring")

    def __init__(self) -> None:
        self._ring = [0] * WINDOW
        self._count = 0

    def add(self, ns: int) -> None:
        """Record one duration (threads may race here: a lost sample is harmless)."""
        count = self._count
        self._ring[count % WINDOW] = ns
        self._count = count + 1

    def percentiles_us(self) -> tuple[float | None, float | None]:
        """(p50, p99) of the samples held, in microseconds; (None, None) without samples."""
        held = sorted(self._ring[:min(self._count, WINDOW)])
        if not held:
            return None, None
        return _rank(held, 50) / _NS_PER_US, _rank(held, 99) / _NS_PER_US


def _rank(ordered: list[int], q: int) -> float:
    """The q-th percentile by the nearest rank."""
    index = max(0, -(-len(ordered) * q // 100) - 1)
    return float(ordered[index])


class TierSnapshot(TypedDict):
    """One tier's figures in one namespace, as `cache.stats` reports them."""

    hits: int
    misses: int
    hit_rate: float | None
    items: int
    bytes: int
    budget_bytes: int
    evictions: int
    promotions: int
    demotions: int
    expirations: int
    invalidations: int
    errors: int
    get_p50_us: float | None
    get_p99_us: float | None
    set_p50_us: float | None
    set_p99_us: float | None


class NamespaceSnapshot(TypedDict):
    """One namespace's figures: totals over its tiers, then each tier."""

    hits: int
    misses: int
    hit_rate: float | None
    items: int
    bytes: int
    loads: int
    get_p50_us: float | None
    get_p99_us: float | None
    set_p50_us: float | None
    set_p99_us: float | None
    ttl_s: float | None
    tiers: dict[str, TierSnapshot]


class CacheSnapshot(TypedDict):
    """The whole cache's figures."""

    pressure: bool
    hot_bytes: int
    hot_budget_bytes: int
    namespaces: dict[str, NamespaceSnapshot]


@final
class TierStats:
    """Counters and latencies of one tier in one namespace.

    ``promotions`` counts values this tier sent up on a hit; ``demotions`` values it sent down
    on eviction; ``evictions`` every value it dropped for room (demoted or not);
    ``invalidations`` values found stale by a tag; ``errors`` failed writes it skipped.
    """

    __slots__ = ("demotions", "errors", "evictions", "expirations", "get", "hits",
                 "invalidations", "misses", "promotions", "set")

    def __init__(self) -> None:
        self.hits = self.misses = self.evictions = 0
        self.promotions = self.demotions = self.expirations = self.invalidations = 0
        self.errors = 0
        self.get = Latencies()
        self.set = Latencies()

    def snapshot(self, items: int, size: int, budget: int) -> TierSnapshot:
        """The counters with the tier's current contents."""
        get_p50, get_p99 = self.get.percentiles_us()
        set_p50, set_p99 = self.set.percentiles_us()
        return TierSnapshot(
            hits=self.hits, misses=self.misses, hit_rate=hit_rate(self.hits, self.misses),
            items=items, bytes=size, budget_bytes=budget, evictions=self.evictions,
            promotions=self.promotions, demotions=self.demotions, expirations=self.expirations,
            invalidations=self.invalidations, errors=self.errors, get_p50_us=get_p50,
            get_p99_us=get_p99, set_p50_us=set_p50, set_p99_us=set_p99)


@final
class NamespaceStats:
    """A namespace's own counters (its tiers keep theirs): complete misses and loads."""

    __slots__ = ("get", "loads", "misses", "set", "tiers")

    def __init__(self) -> None:
        self.misses = self.loads = 0
        self.get = Latencies()  # every read, sampled at one in SAMPLE_EVERY
        self.set = Latencies()
        self.tiers = {name: TierStats() for name in TIERS}


def hit_rate(hits: int, misses: int) -> float | None:
    """hits / (hits + misses), or None before any lookup."""
    total = hits + misses
    return hits / total if total else None
