"""The warm and cold tiers on real folders: storage, byte budgets, eviction order, damage."""

from __future__ import annotations

import os
from pathlib import Path

import diskcache
import pytest

from pajamas.cache.cold import ColdTier
from pajamas.cache.records import Record, encode_key, pack_record
from pajamas.cache.stats import TierStats
from pajamas.cache.warm import WarmTier


def record(name: str, size: int = 100, uses: int = 2) -> Record:
    return Record(encode_key(name), bytes([len(name)]) * size, None, uses)


@pytest.fixture(params=["warm", "cold"])
def make_tier(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    opened = []

    def make(budget: int = 100_000) -> WarmTier | ColdTier:
        kind = WarmTier if request.param == "warm" else ColdTier
        tier = kind(tmp_path / request.param, budget, TierStats())
        opened.append(tier)
        return tier

    yield make
    for tier in opened:
        tier.close()


def test_put_get_delete_and_reopen(make_tier) -> None:  # type: ignore[no-untyped-def]
    tier = make_tier()
    assert tier.put(record("a")) == [] and tier.get(encode_key("a")) == record("a")
    assert encode_key("a") in tier and tier.get(encode_key("b")) is None
    tier.put(record("b"))
    assert tier.delete(encode_key("b")) and not tier.delete(encode_key("b"))
    tier.close()
    again = make_tier()
    assert again.get(encode_key("a")) == record("a") and len(again) == 1
    assert again.nbytes == tier.nbytes > 0


def test_the_budget_holds_and_the_oldest_leave_first(make_tier) -> None:  # type: ignore[no-untyped-def]
    tier = make_tier(budget=2_000)
    for i in range(30):
        tier.put(record(f"k{i:02d}", size=200))
        assert tier.nbytes <= 2_000
    kept = [i for i in range(30) if tier.get(encode_key(f"k{i:02d}")) is not None]
    assert kept == list(range(30 - len(kept), 30)) and len(kept) >= 3
    assert tier.stats.evictions == 30 - len(kept)


def test_warm_victims_come_back_whole_for_demotion(tmp_path: Path) -> None:
    tier = WarmTier(tmp_path, 700, TierStats())
    victims = [v for i in range(5) for v in tier.put(record(f"k{i}", size=200))]
    assert victims == [record(f"k{i}", size=200) for i in range(len(victims))]
    assert tier.nbytes == sum(len(pack_record(record(f"k{i}", size=200)))
                              for i in range(len(victims), 5))
    tier.close()


def test_a_damaged_warm_record_reads_as_a_miss_and_goes(tmp_path: Path) -> None:
    tier = WarmTier(tmp_path, 100_000, TierStats())
    tier.put(record("a"))
    store = diskcache.Cache(str(tmp_path))
    data = bytearray(store.get(encode_key("a")))
    data[-1] ^= 0xFF
    store.set(encode_key("a"), bytes(data))
    store.set(encode_key("b"), pack_record(record("other")))  # a record of another key
    assert tier.get(encode_key("a")) is None and tier.get(encode_key("b")) is None
    assert encode_key("a") not in tier and tier.stats.errors == 2
    store.close()
    tier.close()


def cold_file(tier: ColdTier, name: str) -> Path:
    (path,) = [p for p in tier.folder.rglob("*") if p.is_file() and p.name == _name_of(name)]
    return path


def _name_of(name: str) -> str:
    import hashlib

    return hashlib.blake2b(encode_key(name), digest_size=16).hexdigest()


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty", "swap"])
def test_a_damaged_cold_file_reads_as_a_miss_and_goes(tmp_path: Path, damage: str) -> None:
    tier = ColdTier(tmp_path, 100_000, TierStats())
    tier.put(record("a", size=5_000))
    tier.put(record("b", size=5_000))
    path = cold_file(tier, "a")
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[:len(data) // 2]
    elif damage == "flip":
        data[len(data) // 2] ^= 0x10
    elif damage == "garbage":
        data = bytearray(os.urandom(len(data)))
    elif damage == "empty":
        data = bytearray()
    else:  # another key's intact file under this key's name
        data = bytearray(cold_file(tier, "b").read_bytes())
    path.write_bytes(bytes(data))
    assert tier.get(encode_key("a")) is None
    assert not path.exists() and tier.stats.errors == 1
    assert tier.get(encode_key("b")) == record("b", size=5_000)


def test_cold_open_drops_leftover_temporary_files_and_rebuilds_its_index(tmp_path: Path) -> None:
    tier = ColdTier(tmp_path, 100_000, TierStats())
    for name in ("a", "b", "c"):
        tier.put(record(name, size=3_000))
    leftover = cold_file(tier, "a").with_name(".torn.1234.tmp")
    leftover.write_bytes(b"half a rec")
    again = ColdTier(tmp_path, 100_000, TierStats())
    assert not leftover.exists() and len(again) == 3 and again.nbytes == tier.nbytes
    assert again.get(encode_key("c")) == record("c", size=3_000)


def test_cold_files_are_compressed(tmp_path: Path) -> None:
    tier = ColdTier(tmp_path, 1_000_000, TierStats())
    tier.put(record("a", size=100_000))
    assert tier.nbytes < 2_000
