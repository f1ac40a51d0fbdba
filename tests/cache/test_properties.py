"""Property tests: the cache against a plain dict, over random runs of every operation.

`BoundedCache` squeezes three tiers into a few KB, so values move up and down and get evicted
all the time: whatever the cache returns must be the dict's current value (never a replaced,
expired or invalidated one), and no tier may exceed its byte budget.  `RoomyCache` has room for
everything and writes through to the warm tier, so it must agree with the dict exactly, across
restarts too.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from pajamas.cache.namespaces import NamespaceConfig
from pajamas.cache.records import Key
from pajamas.cache.tiered import Cache, CacheFolders
from tests.cache.conftest import KB, FakeClock

NS = "ns"
MISSING = object()
keys = st.sampled_from(["a", "b", "c", "d", b"a"])  # few: the same keys meet again and again
values = (st.integers(-(2**63), 2**64 - 1) | st.text(max_size=20) | st.binary(max_size=5000)
          | st.lists(st.integers(0, 9), max_size=4))
tag_lists = st.lists(st.sampled_from(["persona:1", "persona:2"]), max_size=2)
ttls = st.none() | st.floats(1, 20)  # short: values expire within a run


@dataclass(frozen=True)
class Expected:
    """What the dict holds for a key: the value, until when, and its tags' generations."""

    value: Any
    expires_at: float | None
    tags: tuple[tuple[str, int], ...]


class CacheModel(RuleBasedStateMachine):
    """Runs the same operations on the cache and on a dict."""

    CONFIG: ClassVar[NamespaceConfig]
    EXACT: ClassVar[bool]

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="pajamas-cache-model-"))
        self.clock = FakeClock()
        self.cache = self.open()
        self.model: dict[Key, Expected] = {}
        self.generation: defaultdict[str, int] = defaultdict(int)

    def open(self) -> Cache:
        return Cache([self.CONFIG], CacheFolders.under(self.root), clock=self.clock)

    def teardown(self) -> None:
        self.cache.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def expected(self, key: Key) -> Expected | None:
        """The dict's value for key if it is still fresh and none of its tags changed."""
        entry = self.model.get(key)
        if entry is None or (entry.expires_at is not None and entry.expires_at <= self.clock()):
            return None
        if any(self.generation[tag] != seen for tag, seen in entry.tags):
            return None
        return entry

    def remember(self, key: Key, value: Any, ttl: float | None, tags: list[str]) -> None:
        ttl = self.CONFIG.ttl_s if ttl is None else ttl
        self.model[key] = Expected(value, None if ttl is None else self.clock() + ttl,
                                   tuple((tag, self.generation[tag]) for tag in set(tags)))

    @rule(key=keys, value=values, ttl=ttls, tags=tag_lists)
    def set(self, key: Key, value: Any, ttl: float | None, tags: list[str]) -> None:
        self.cache.set(NS, key, value, ttl=ttl, tags=tags)
        self.remember(key, value, ttl, tags)

    @rule(key=keys)
    def get(self, key: Key) -> None:
        got, expected = self.cache.get(NS, key, MISSING), self.expected(key)
        if got is not MISSING:
            assert expected is not None, f"{key!r} returned {got!r:.60}, which is gone"
            assert got == expected.value
        elif self.EXACT:
            assert expected is None, f"{key!r} missed, but the dict holds it"

    @rule(key=keys, value=values, tags=tag_lists)
    def get_or_load(self, key: Key, value: Any, tags: list[str]) -> None:
        loaded: list[Any] = []
        expected = self.expected(key)
        got = self.cache.get_or_load(NS, key, lambda: loaded.append(value) or value, tags=tags)
        if loaded:
            assert got == value and not (self.EXACT and expected is not None)
            self.remember(key, value, None, tags)
        else:
            assert expected is not None and got == expected.value

    @rule(key=keys)
    def invalidate(self, key: Key) -> None:
        self.cache.invalidate(NS, key)
        self.model.pop(key, None)

    @rule(tag=st.sampled_from(["persona:1", "persona:2"]))
    def invalidate_tag(self, tag: str) -> None:
        self.cache.invalidate_tag(tag)
        self.generation[tag] += 1

    @rule(seconds=st.floats(0, 15))
    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule()
    def clear(self) -> None:
        self.cache.clear(NS)
        self.model.clear()

    @rule()
    def restart(self) -> None:
        self.cache.close()
        self.cache = self.open()

    @rule(on=st.booleans())
    def pressure(self, on: bool) -> None:
        self.cache.pressure(on)

    @rule(to_bytes=st.sampled_from([0, KB // 2, 2 * KB]))  # 0: every value goes down
    def shrink_hot(self, to_bytes: int) -> None:
        self.cache.shrink_hot(to_bytes)

    @invariant()
    def every_tier_within_its_budget(self) -> None:
        tiers = self.cache.stats()["namespaces"][NS]["tiers"]
        for name, figures in tiers.items():
            assert figures["bytes"] <= figures["budget_bytes"], (name, figures)
        on_disk = sum(p.stat().st_size for p in (self.root / "cache" / "cold").rglob("*")
                      if p.is_file())
        assert on_disk <= self.CONFIG.cold_bytes


class BoundedCache(CacheModel):
    # The hot tier holds about ten small entries (each costs ~350 bytes of overhead) and
    # takes values up to ~50 bytes; warm takes up to 1.5 KB, cold up to 6 KB.
    CONFIG = NamespaceConfig(NS, hot_bytes=4 * KB, warm_bytes=6 * KB, cold_bytes=24 * KB,
                             ttl_s=30.0, hot_floor_bytes=KB, doorkeeper_bits=1 << 10)
    EXACT = False


class RoomyCache(CacheModel):
    CONFIG = NamespaceConfig(NS, hot_bytes=256 * KB, warm_bytes=1024 * KB, cold_bytes=1024 * KB,
                             write_through=True, hot_floor_bytes=2 * KB)
    EXACT = True


_SETTINGS = settings(max_examples=25, stateful_step_count=50, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])
TestBoundedCache = BoundedCache.TestCase
TestBoundedCache.settings = _SETTINGS
TestRoomyCache = RoomyCache.TestCase
TestRoomyCache.settings = _SETTINGS
