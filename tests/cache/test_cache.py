"""The tiered cache through its API: values, TTLs, promotion, demotion, invalidation, pressure."""

from __future__ import annotations

from typing import Any

import pytest

from pajamas.cache.records import encode_key
from pajamas.cache.tiered import Cache
from pajamas.errors import InvalidParams, NotFound
from tests.cache.conftest import KB, FakeClock, OpenCache, tiers

SMALL_HOT = 4 * KB  # ~10 small entries; admits values up to ~400 bytes


def push_out(cache: Cache, prefix: str, count: int = 40, *, reads: int = 0,
             size: int = 1) -> None:
    """Set count new fillers (each read `reads` times) to push older values out of a tier."""
    for i in range(count):
        cache.set("ns", f"{prefix}-{i}", "f" * size)
        for _ in range(reads):
            cache.get("ns", f"{prefix}-{i}")


def held_by(cache: Cache, tier: str, key: str, namespace: str = "ns") -> bool:
    """Whether a lower tier holds a record for key (looking, not reading through the cache)."""
    space = cache.namespace(namespace)
    return any(t.name == tier and encode_key(key) in t for t in space._lower)


def tier_stats(cache: Cache, tier: str, namespace: str = "ns") -> dict[str, Any]:
    return dict(cache.stats()["namespaces"][namespace]["tiers"][tier])


def test_values_keys_and_defaults(open_cache: OpenCache) -> None:
    cache = open_cache(tiers())
    value = {"a": [1, 2.5, "x", b"y", None, True], 3: {"nested": []}}
    cache.set("ns", "k", value)
    cache.set("ns", b"k", "the bytes key")
    assert cache.get("ns", "k") == value and cache.get("ns", b"k") == "the bytes key"
    assert cache.get("ns", "absent") is None and cache.get("ns", "absent", 7) == 7
    cache.get("ns", "k")["a"].append("mutated")  # a caller's copy, not the cache's
    assert cache.get("ns", "k") == value


def test_wrong_names_keys_values_and_ttls_are_refused(open_cache: OpenCache) -> None:
    cache = open_cache(tiers())
    with pytest.raises(NotFound, match="no cache namespace 'nope'; the namespaces are: ns"):
        cache.get("nope", "k")
    for call in (lambda: cache.set("ns", 5, 1), lambda: cache.invalidate("ns", 5.0)):
        with pytest.raises(InvalidParams) as caught:
            call()  # type: ignore[no-untyped-call]
        assert caught.value.field == "key"
    with pytest.raises(InvalidParams) as caught:
        cache.set("ns", "k", object())
    assert caught.value.field == "value"
    with pytest.raises(InvalidParams) as caught:
        cache.set("ns", "k", 1, ttl=0)
    assert caught.value.field == "ttl" and cache.get("ns", "k") is None
    loads: list[int] = []
    with pytest.raises(InvalidParams):
        cache.get_or_load("ns", "k", lambda: loads.append(1), ttl=-1)
    assert not loads  # refused before the loader's work


@pytest.mark.parametrize("where", ["hot", "warm", "cold"])
def test_ttls_per_entry_and_per_namespace_in_every_tier(open_cache: OpenCache,
                                                         clock: FakeClock, where: str) -> None:
    budgets = {"hot": {}, "warm": {"hot": 0, "warm": 64 * KB},
               "cold": {"hot": 0, "cold": 64 * KB}}[where]
    cache = open_cache(tiers(ttl_s=100.0, **budgets))
    cache.set("ns", "short", "s", ttl=10)
    cache.set("ns", "default", "d")
    clock.advance(9.9)
    assert cache.get("ns", "short") == "s"
    clock.advance(0.1)
    assert cache.get("ns", "short") is None and cache.get("ns", "default") == "d"
    clock.advance(90)
    assert cache.get("ns", "default") is None
    assert tier_stats(cache, where)["expirations"] == 2


def test_a_lower_hit_is_promoted_and_the_next_read_is_hot(open_cache: OpenCache) -> None:
    cache = open_cache(tiers(hot=4 * SMALL_HOT, warm=64 * KB))
    cache.set("ns", "k", "value")
    assert cache.get("ns", "k") == "value"  # used twice: it earns a demotion
    push_out(cache, "read", 120, reads=2)  # values read compete with it in the main queue
    assert held_by(cache, "warm", "k")
    hot, warm = tier_stats(cache, "hot"), tier_stats(cache, "warm")
    assert cache.get("ns", "k") == "value" and cache.get("ns", "k") == "value"
    hot_after, warm_after = tier_stats(cache, "hot"), tier_stats(cache, "warm")
    assert warm_after["hits"] - warm["hits"] == 1 == warm_after["promotions"] - warm["promotions"]
    assert hot_after["hits"] - hot["hits"] == 1 and hot["demotions"] >= 1


def test_only_values_used_twice_are_demoted(open_cache: OpenCache) -> None:
    cache = open_cache(tiers(hot=SMALL_HOT, warm=64 * KB))
    cache.set("ns", "once", 1)
    cache.set("ns", "read", 2)
    cache.get("ns", "read")
    cache.set("ns", "again", 3)
    push_out(cache, "first")
    cache.set("ns", "again", 3)  # set anew after its eviction: the doorkeeper remembers
    push_out(cache, "second", reads=2)
    assert not held_by(cache, "warm", "once") and cache.get("ns", "once") is None
    assert held_by(cache, "warm", "read") and held_by(cache, "warm", "again")
    assert not held_by(cache, "warm", "first-0") and held_by(cache, "warm", "second-0")


def test_warm_evictions_go_to_cold_only_when_used(open_cache: OpenCache) -> None:
    cache = open_cache(tiers(hot=0, warm=4 * KB, cold=64 * KB))
    cache.set("ns", "used", "u" * 200)
    cache.set("ns", "unused", "n" * 200)
    assert cache.get("ns", "used") == "u" * 200  # a warm hit, remembered
    push_out(cache, "filler", size=200)
    assert held_by(cache, "cold", "used") and not held_by(cache, "cold", "unused")
    assert cache.get("ns", "used") == "u" * 200 and cache.get("ns", "unused") is None
    assert tier_stats(cache, "warm")["demotions"] == 1


@pytest.mark.parametrize("loss", ["eviction", "restart", "expiry", "tag"])
def test_a_new_value_replaces_every_older_copy(open_cache: OpenCache, clock: FakeClock,
                                               loss: str) -> None:
    # The old value sits in the warm tier; the new one is lost from the hot tier without being
    # demoted (evicted while too large for warm, the process restarted, expired, invalidated
    # by its tag): only the deletion of the old copy stands between a read and a stale value.
    config = tiers(hot=64 * KB, warm=4 * KB)
    cache = open_cache(config)
    cache.set("ns", "k", "old")
    cache.get("ns", "k")
    cache.shrink_hot(0)  # everything goes down
    assert held_by(cache, "warm", "k")
    new = "new" * 1000 if loss == "eviction" else "new"  # warm admits values up to 1 KB
    cache.set("ns", "k", new, ttl=5 if loss == "expiry" else None, tags=["t"])
    assert not held_by(cache, "warm", "k")
    if loss == "eviction":
        cache.shrink_hot(0)
    elif loss == "restart":
        cache.close()
        cache = open_cache(config)
    elif loss == "expiry":
        clock.advance(5)
    else:
        cache.invalidate_tag("t")
    assert cache.get("ns", "k") is None


def test_invalidate_removes_a_key_from_every_tier(open_cache: OpenCache) -> None:
    cache = open_cache(tiers(hot=64 * KB, warm=64 * KB, cold=64 * KB, write_through=True))
    cache.set("ns", "k", 1)
    assert cache.invalidate("ns", "k") and not cache.invalidate("ns", "k")
    assert cache.get("ns", "k") is None and not held_by(cache, "warm", "k")


def test_a_tag_invalidates_its_values_everywhere_even_after_a_restart(
        open_cache: OpenCache) -> None:
    spaces = (tiers("hot", write_through=True, warm=64 * KB),
              tiers("warm", hot=0, warm=64 * KB), tiers("cold", hot=0, cold=64 * KB))
    cache = open_cache(*spaces)
    for name in ("hot", "warm", "cold"):
        cache.set(name, "p1", f"{name} of p1", tags=["persona:1"])
        cache.set(name, "p2", f"{name} of p2", tags=["persona:2"])
        cache.set(name, "both", f"{name} of both", tags=["persona:1", "persona:2"])
    cache.invalidate_tag("persona:1")
    cache.close()
    again = open_cache(*spaces)
    for name in ("hot", "warm", "cold"):
        assert again.get(name, "p1") is None and again.get(name, "both") is None
        assert again.get(name, "p2") == f"{name} of p2"
    assert sum(again.stats()["namespaces"][n]["tiers"][t]["invalidations"]
               for n, t in (("hot", "warm"), ("warm", "warm"), ("cold", "cold"))) == 6


def test_clear_one_namespace_or_all(open_cache: OpenCache) -> None:
    cache = open_cache(tiers("a", warm=64 * KB, write_through=True), tiers("b"))
    for name in ("a", "b"):
        cache.set(name, "k", name)
    assert cache.clear("a") == 2  # hot and warm copies
    assert cache.get("a", "k") is None and cache.get("b", "k") == "b"
    assert cache.clear() == 1 and cache.get("b", "k") is None


def test_get_many_returns_what_is_held(open_cache: OpenCache) -> None:
    cache = open_cache(tiers())
    cache.set("ns", "a", None)
    cache.set("ns", b"b", 2)
    assert cache.get_many("ns", ["a", b"b", "c"]) == {"a": None, b"b": 2}


def test_written_through_values_survive_a_restart(open_cache: OpenCache) -> None:
    config = tiers(warm=64 * KB, write_through=True)
    cache = open_cache(config)
    cache.set("ns", "embedding", [0.25, -1.5])
    cache.close()
    again = open_cache(config)
    assert again.get("ns", "embedding") == [0.25, -1.5]
    assert tier_stats(again, "warm")["hits"] == 1


def test_value_sizes_pick_the_tier(open_cache: OpenCache) -> None:
    cache = open_cache(tiers(hot=SMALL_HOT, warm=16 * KB, cold=400 * KB))
    cache.set("ns", "small", "s")
    cache.set("ns", "medium", "m" * 2000)  # over the hot tier's 10%
    cache.set("ns", "large", "l" * 50_000)  # over the warm tier's 25% too
    cache.set("ns", "huge", "h" * 200_000)  # over every tier's share: not kept
    assert held_by(cache, "warm", "medium") and held_by(cache, "cold", "large")
    assert cache.get("ns", "large") == "l" * 50_000 and cache.get("ns", "huge") is None


def test_pressure_sheds_the_hot_tier_into_warm_without_losing_values(
        open_cache: OpenCache) -> None:
    cache = open_cache(tiers(hot=64 * KB, warm=256 * KB, hot_floor_bytes=SMALL_HOT))
    for i in range(60):
        cache.set("ns", f"k{i}", i)  # set once, never read: normally not demoted
    cache.pressure(True)
    stats = cache.stats()
    assert stats["pressure"] and stats["hot_budget_bytes"] == SMALL_HOT
    assert stats["hot_bytes"] <= SMALL_HOT
    assert all(cache.get("ns", f"k{i}") == i for i in range(60))
    cache.pressure(False)
    assert cache.stats()["hot_budget_bytes"] == 64 * KB


def test_shrink_hot_frees_now_and_keeps_the_budget(open_cache: OpenCache) -> None:
    cache = open_cache(tiers(hot=64 * KB, warm=256 * KB))
    for i in range(60):
        cache.set("ns", f"k{i}", i)
    before = cache.hot_bytes
    freed = cache.shrink_hot(8 * KB)
    assert freed == before - cache.hot_bytes and cache.hot_bytes <= 8 * KB
    assert cache.stats()["hot_budget_bytes"] == 64 * KB
    assert all(cache.get("ns", f"k{i}") == i for i in range(60))


def test_stats_count_per_namespace_and_tier(open_cache: OpenCache) -> None:
    cache = open_cache(tiers(warm=64 * KB, write_through=True))
    cache.set("ns", "k", 1)
    for _ in range(16):
        cache.get("ns", "k")
    cache.get("ns", "absent")
    space = cache.stats()["namespaces"]["ns"]
    hot, warm = space["tiers"]["hot"], space["tiers"]["warm"]
    assert (hot["hits"], hot["misses"], hot["items"]) == (16, 1, 1)
    assert (warm["hits"], warm["misses"], warm["items"]) == (0, 1, 1)
    assert (space["hits"], space["misses"]) == (16, 1)
    assert space["hit_rate"] == pytest.approx(16 / 17)
    assert hot["get_p50_us"] is not None and hot["set_p50_us"] is not None
    assert hot["bytes"] > 0 and warm["bytes"] > 0 and space["tiers"]["cold"]["budget_bytes"] == 0
    assert cache.counts() == (16, 1)
