"""One namespace's tiers, and the rules that move its values between them.

Lookups go hot, warm, cold.  A hit below the hot tier copies the value up (promotion) to the
highest tier that takes its size; the lower copy stays, so the entry can later leave the hot
tier without a disk write.  An entry evicted from a tier goes down one tier (demotion) only if
it was used twice: read in the tier, or set again after an earlier eviction (the doorkeeper
remembers), so one-hit wonders don't churn the disk.  Under memory pressure every entry the
hot tier sheds goes down, whatever its uses.

Consistency: every tier holding a readable record for a key holds the same value, the latest
set.  `set` deletes the other tiers' copies before it stores, promotions and demotions copy,
and all of it (lower-tier reads included) happens under the namespace's lock, so a promotion
can never resurrect a value a concurrent `set` replaced.  Hot-tier hits take no lock.  Expired
and invalidated records are dropped where they are met, and never returned.

A cache never fails its caller for its disk: a lower tier that cannot be read (a full disk,
a damaged file) is a miss, and a value that cannot be stored is logged and counted
(`errors`) and not kept.  When a `set` cannot delete an older copy, the key is held
`unsure`: lower tiers are not read for it until a later write of the key succeeds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final, final

from pajamas.cache.cold import ColdTier
from pajamas.cache.doorkeeper import Doorkeeper
from pajamas.cache.flight import Flight, SingleFlight
from pajamas.cache.hot import Entry, HotTier, entry_size
from pajamas.cache.namespaces import NamespaceConfig
from pajamas.cache.records import (
    Key,
    Record,
    Tags,
    decode_key,
    encode_key,
    pack_value,
    unpack_value,
)
from pajamas.cache.stats import (
    SAMPLE_MASK,
    NamespaceSnapshot,
    NamespaceStats,
    TierStats,
    hit_rate,
)
from pajamas.cache.tags import TagEpochs
from pajamas.cache.warm import WarmTier
from pajamas.errors import HubError, InvalidParams
from pajamas.faults import Faults

log = logging.getLogger(__name__)

LowerTier = WarmTier | ColdTier
#: Uses (sets and reads) an entry needs before its eviction demotes it.
DEMOTE_MIN_USES: Final = 2
_MISSING: Final = object()
_now_ns = time.perf_counter_ns


@final
class Namespace:
    """The tiers of one namespace; thread-safe."""

    def __init__(self, config: NamespaceConfig, warm_dir: Path, cold_dir: Path,
                 epochs: TagEpochs, clock: Callable[[], float], *,
                 faults: Faults | None = None) -> None:
        self.config = config
        self.name = config.name
        self.stats = NamespaceStats()
        self._clock = clock
        self._epochs = epochs
        self._lock = threading.Lock()
        self._flights = SingleFlight()
        self._inserted = Doorkeeper(config.doorkeeper_bits)  # keys stored, by key
        self._lower_hits = Doorkeeper(config.doorkeeper_bits)  # keys read below hot, encoded
        self._unsure: set[bytes] = set()  # encoded keys whose lower copies may be outdated
        self._ticks = 0
        self._shedding = False  # under memory pressure: every hot eviction demotes
        tiers = self.stats.tiers
        self._hot = (HotTier(config.hot_bytes, clock, epochs, tiers["hot"])
                     if config.hot_bytes else None)
        self._lower: list[LowerTier] = []
        if config.warm_bytes:
            self._lower.append(WarmTier(warm_dir / self.name, config.warm_bytes, tiers["warm"],
                                        faults))
        if config.cold_bytes:
            self._lower.append(ColdTier(cold_dir / self.name, config.cold_bytes, tiers["cold"],
                                        faults))

    # -- reads ----------------------------------------------------------------------------

    def get(self, key: Key, default: Any = None) -> Any:
        """The value stored for key, or default when no tier holds a fresh one."""
        self._ticks = ticks = self._ticks + 1
        start = 0 if ticks & SAMPLE_MASK else _now_ns()  # time one read in SAMPLE_EVERY
        hot = self._hot
        data = None if hot is None else hot.get(key)
        if data is not None:
            value = unpack_value(data)
            if start:
                self._sampled_get(start, self.stats.tiers["hot"])
            return value
        data = self._get_lower(key)
        value = default if data is None else unpack_value(data)
        if start:
            self._sampled_get(start, None)
        return value

    def get_or_load(self, key: Key, loader: Callable[[], Any], *, ttl: float | None = None,
                    tags: Iterable[str] = ()) -> Any:
        """The value for key; on a miss, loader's value, stored.  Concurrent misses of one key
        run loader once; the others wait for its value (or its exception)."""
        value = self.get(key, _MISSING)
        if value is not _MISSING:
            return value
        flight, leader = self._flights.join(key)
        if not leader:
            return unpack_value(flight.wait())
        try:
            data, value = self._load(key, loader, ttl, tags, flight)
        except BaseException as exc:
            self._flights.land(key, flight, None, exc)
            raise
        self._flights.land(key, flight, data)
        return value

    def _sampled_get(self, start: int, tier: TierStats | None) -> None:
        elapsed = _now_ns() - start
        self.stats.get.add(elapsed)
        if tier is not None:
            tier.get.add(elapsed)

    def _get_lower(self, key: Key) -> bytes | None:
        """After a hot miss: drop a stale hot entry, then look in each lower tier in turn."""
        encoded = encode_key(key)
        with self._lock:
            if self._hot is not None:
                self._drop_stale_hot(self._hot, key)
            # Time one read in SAMPLE_EVERY, as get() does: two clock reads cost ~0.3 µs.
            sampled = not self._ticks & SAMPLE_MASK
            if encoded in self._unsure:
                self.stats.misses += 1
                return None
            for index, tier in enumerate(self._lower):
                start = _now_ns() if sampled else 0
                record = self._read(tier, encoded)
                if record is not None:
                    self._promote(key, record, index)
                    if sampled:
                        tier.stats.get.add(_now_ns() - start)
                    return record.value
            self.stats.misses += 1
            return None

    def _read(self, tier: LowerTier, encoded: bytes) -> Record | None:
        try:
            record = tier.get(encoded)
            if record is not None and self._stale(record.expires_at, record.tags, tier.stats):
                tier.delete(encoded)
                record = None
        except HubError as exc:  # a disk that cannot be read (or written) costs a miss only
            self._failed(tier, "read", exc)
            record = None
        if record is None:
            tier.stats.misses += 1
            return None
        tier.stats.hits += 1
        if record.uses < DEMOTE_MIN_USES:  # else it qualifies for demotion already
            self._lower_hits.add(encoded)
        return record

    def _stale(self, expires_at: float | None, tags: Tags, stats: TierStats) -> bool:
        """Whether a value is expired or invalidated by a tag; counts which."""
        if expires_at is not None and expires_at <= self._clock():
            stats.expirations += 1
            return True
        if tags and not self._epochs.holds(tags):
            stats.invalidations += 1
            return True
        return False

    def _drop_stale_hot(self, hot: HotTier, key: Key) -> None:
        entry = hot.peek(key)
        if entry is not None and self._stale(entry.expires_at, entry.tags, hot.stats):
            hot.remove(key)

    # -- writes ---------------------------------------------------------------------------

    def set(self, key: Key, value: Any, *, ttl: float | None = None,
            tags: Iterable[str] = ()) -> None:
        """Store value for key in the highest tier that takes its size, replacing any other."""
        data = pack_value(value)
        stamped = self._epochs.snapshot(tags) if tags else ()
        expires_at = self._expiry(ttl)
        with self._lock:
            self._flights.mark_stale(key)
            self._store_or_log(key, data, expires_at, stamped, replace=True)

    def invalidate(self, key: Key) -> bool:
        """Delete key from every tier; whether any held it."""
        encoded = encode_key(key)
        with self._lock:
            self._flights.mark_stale(key)
            found = self._hot is not None and self._hot.remove(key) is not None
            for tier in self._lower:
                try:
                    found = tier.delete(encoded) or found
                except HubError as exc:  # the copy stays: never read while the key is unsure
                    self._unsure.add(encoded)
                    self._failed(tier, "delete from", exc)
            return found

    def clear(self) -> int:
        """Delete every value from every tier; how many there were."""
        with self._lock:
            self._flights.mark_all_stale()
            count = self._hot.clear() if self._hot is not None else 0
            return count + sum(tier.clear() for tier in self._lower)

    def _load(self, key: Key, loader: Callable[[], Any], ttl: float | None,
              tags: Iterable[str], flight: Flight) -> tuple[bytes, Any]:
        # The epochs are taken before the loader runs: an invalidation during the load wins.
        stamped = self._epochs.snapshot(tags) if tags else ()
        self._expiry(ttl)  # a bad ttl fails before the loader's work, not after
        self.stats.loads += 1
        value = loader()
        data = pack_value(value)
        expires_at = self._expiry(ttl)
        with self._lock:
            if not flight.stale:  # else a write raced the load: its result may be outdated
                # Our miss found no readable copy, and no write came since: nothing to replace.
                self._store_or_log(key, data, expires_at, stamped, replace=False)
        return data, value

    def _store_or_log(self, key: Key, data: bytes, expires_at: float | None, tags: Tags, *,
                      replace: bool) -> None:
        """`_store`, logging and counting a failure (a full disk) instead of raising it; a
        key whose older copies could not all be deleted is held unsure until a write of it
        succeeds."""
        encoded = encode_key(key)
        try:
            self._store(key, data, expires_at, tags, replace=replace)
        except HubError as exc:
            if replace:
                self._unsure.add(encoded)
                if self._hot is not None:
                    self._hot.remove(key)
            self._failed(None, "write", exc)
            return
        self._unsure.discard(encoded)

    def _store(self, key: Key, data: bytes, expires_at: float | None, tags: Tags, *,
               replace: bool) -> None:
        start = _now_ns()
        encoded = encode_key(key)  # checks the key, too
        uses = DEMOTE_MIN_USES if self._inserted.add(key) else 1
        hot = self._hot
        if hot is not None and hot.admits(entry_size(key, data)):
            if replace:
                self._delete_copies(key, encoded, keep_hot=True, keep=-1)
            entry = Entry(key, data, expires_at, tags, uses)
            if self.config.write_through:
                entry.in_lower = self._write_through(Record(encoded, data, expires_at, uses, tags))
            self._settle_hot(hot.put(entry))
            hot.stats.set.add(_now_ns() - start)
        else:
            lower = self._first_lower(len(data), 0)
            if replace:
                self._delete_copies(key, encoded, keep_hot=False, keep=lower)
            if lower >= 0:
                self._put_lower(lower, Record(encoded, data, expires_at, uses, tags))
                self._lower[lower].stats.set.add(_now_ns() - start)
        self.stats.set.add(_now_ns() - start)

    def _write_through(self, record: Record) -> bool:
        index = self._first_lower(len(record.value), 0)
        return index >= 0 and self._put_lower(index, record)

    def _delete_copies(self, key: Key, encoded: bytes, *, keep_hot: bool, keep: int) -> None:
        """Delete key from every tier but the one about to take the new value.  Failures
        raise: a copy left behind would be read after the new value leaves."""
        for index, tier in enumerate(self._lower):
            if index != keep:
                tier.delete(encoded)
        if self._hot is not None and not keep_hot:
            self._hot.remove(key)

    def _expiry(self, ttl: float | None) -> float | None:
        ttl = self.config.ttl_s if ttl is None else ttl
        if ttl is None:
            return None
        if not ttl > 0:
            raise InvalidParams(f"a cache TTL is a positive number of seconds, not {ttl!r}",
                                field="ttl")
        return self._clock() + ttl

    # -- moving between tiers -------------------------------------------------------------

    def _promote(self, key: Key, record: Record, index: int) -> None:
        """Copy a value found in lower tier `index` up to the highest tier that takes it."""
        uses = record.uses + 1
        hot = self._hot
        source = self._lower[index].stats
        if hot is not None and hot.admits(entry_size(key, record.value)):
            # It enters S3-FIFO's probation queue like any new entry: sending promoted values
            # straight to the main queue cost a quarter of the hot hits in cache.hit_rate_overall.
            entry = Entry(key, record.value, record.expires_at, record.tags, uses, in_lower=True)
            self._settle_hot(hot.put(entry))
            source.promotions += 1
            return
        if index == 0:  # only the hot tier is above the first lower one
            return
        upper = self._first_lower(len(record.value), 0)
        if 0 <= upper < index and self._put_lower(upper, record._replace(uses=uses)):
            source.promotions += 1

    def _settle_hot(self, victims: list[Entry], *, force: bool = False) -> None:
        """Demote the hot tier's victims that earned it (all of them under pressure)."""
        hot_stats = self.stats.tiers["hot"]
        force = force or self._shedding
        for entry in victims:
            if entry.in_lower or (entry.uses < DEMOTE_MIN_USES and not force):
                continue
            index = self._first_lower(len(entry.value), 0)
            if index < 0 or self._stale(entry.expires_at, entry.tags, hot_stats):
                continue
            record = Record(encode_key(entry.key), entry.value, entry.expires_at, entry.uses,
                            entry.tags)
            if self._put_lower(index, record):
                hot_stats.demotions += 1

    def _settle_lower(self, index: int, victims: list[Record]) -> None:
        """Demote lower tier `index`'s victims that earned it, one tier down."""
        stats = self._lower[index].stats
        below = self._first_lower(0, index + 1)
        for record in victims:
            earned = record.uses >= DEMOTE_MIN_USES or self._lower_hits.seen(record.key)
            if below >= 0 and earned and not self._stale(record.expires_at, record.tags, stats):
                if record.key in self._lower[below]:
                    continue  # a copy is down there already
                if self._put_lower(below, record):
                    stats.demotions += 1
                    continue
            self._forget_lower(record.key)  # no lower copy left: the hot entry must demote

    def _put_lower(self, index: int, record: Record) -> bool:
        """Write record to lower tier `index` and settle its victims; False if the write
        failed (logged: losing a copy only costs a miss)."""
        tier = self._lower[index]
        if not tier.admits(len(record.value)):
            return False
        try:
            victims = tier.put(record)
        except HubError as exc:
            self._failed(tier, "write", exc)
            return False
        try:
            self._settle_lower(index, victims)
        except HubError as exc:  # the victims are gone from this tier: at worst, misses later
            self._failed(tier, "demote from", exc)
        return True

    def _failed(self, tier: LowerTier | None, doing: str, exc: HubError) -> None:
        """Log and count a failed read or write: losing a copy only costs a miss."""
        where = f"the {tier.name} tier" if tier is not None else "its tiers"
        log.warning("cache %s: could not %s %s: %s", self.name, doing, where, exc.message)
        (tier.stats if tier is not None else self.stats.tiers["hot"]).errors += 1

    def _first_lower(self, size: int, start: int) -> int:
        """The index of the first lower tier from start that takes size bytes, or -1."""
        for index in range(start, len(self._lower)):
            if self._lower[index].admits(size):
                return index
        return -1

    def _forget_lower(self, encoded: bytes) -> None:
        if self._hot is not None:
            self._hot.forget_lower(decode_key(encoded))

    # -- memory pressure ------------------------------------------------------------------

    def resize_hot(self, budget: int) -> None:
        """Set the hot tier's budget.  Below the configured one (memory pressure), what the
        tier sheds, now and while it stays small, goes down a tier whatever its uses: the
        hot tier is small for want of memory, not because those values were worth less."""
        if self._hot is not None:
            with self._lock:
                self._shedding = budget < self.config.hot_bytes
                self._settle_hot(self._hot.resize(budget), force=True)

    def shrink_hot(self, target: int) -> int:
        """Shed the hot tier down to target bytes now, demoting; returns the bytes freed."""
        if self._hot is None:
            return 0
        with self._lock:
            before = self._hot.nbytes
            self._settle_hot(self._hot.shrink_to(target), force=True)
            return before - self._hot.nbytes

    @property
    def hot_bytes(self) -> int:
        """Bytes the hot tier holds now."""
        return 0 if self._hot is None else self._hot.nbytes

    @property
    def hot_budget(self) -> int:
        """The hot tier's budget now (smaller under pressure)."""
        return 0 if self._hot is None else self._hot.budget

    # -- statistics and lifecycle ---------------------------------------------------------

    def snapshot(self) -> NamespaceSnapshot:
        """The namespace's figures, per tier and in total."""
        with self._lock:
            tiers = {name: stats.snapshot(0, 0, 0) for name, stats in self.stats.tiers.items()}
            if self._hot is not None:
                hot = self._hot
                tiers["hot"] = hot.stats.snapshot(len(hot), hot.nbytes, hot.budget)
            for tier in self._lower:
                tiers[tier.name] = tier.stats.snapshot(len(tier), tier.nbytes, tier.budget)
        hits = sum(t["hits"] for t in tiers.values())
        get_p50, get_p99 = self.stats.get.percentiles_us()
        set_p50, set_p99 = self.stats.set.percentiles_us()
        return NamespaceSnapshot(
            hits=hits, misses=self.stats.misses, hit_rate=hit_rate(hits, self.stats.misses),
            items=sum(t["items"] for t in tiers.values()),
            bytes=sum(t["bytes"] for t in tiers.values()), loads=self.stats.loads,
            get_p50_us=get_p50, get_p99_us=get_p99, set_p50_us=set_p50, set_p99_us=set_p99,
            ttl_s=self.config.ttl_s, tiers=tiers)

    def counts(self) -> tuple[int, int]:
        """(hits in any tier, complete misses) so far."""
        return sum(t.hits for t in self.stats.tiers.values()), self.stats.misses

    def followers(self, key: Key) -> int:
        """Callers waiting for key's load in progress (for tests and diagnostics)."""
        return self._flights.followers(key)

    def close(self) -> None:
        """Close the lower tiers' files."""
        with self._lock:
            for tier in self._lower:
                tier.close()
