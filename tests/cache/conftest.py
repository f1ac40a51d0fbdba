"""Fixtures of the cache tests: real tiers on temp folders, and a clock the test moves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pajamas.cache.namespaces import NamespaceConfig
from pajamas.cache.tiered import Cache, CacheFolders

KB = 1024


class FakeClock:
    """Seconds since the epoch that only move when the test says so."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def folders(tmp_path: Path) -> CacheFolders:
    return CacheFolders.under(tmp_path / "cache")


OpenCache = Callable[..., Cache]


@pytest.fixture
def open_cache(folders: CacheFolders, clock: FakeClock) -> Iterator[OpenCache]:
    """Opens caches on the test's folders and clock (namespaces given), closed at the end."""
    opened: list[Cache] = []

    def open_(*configs: NamespaceConfig, **options: object) -> Cache:
        cache = Cache(configs, folders, clock=clock, **options)  # type: ignore[arg-type]
        opened.append(cache)
        return cache

    yield open_
    for cache in opened:
        cache.close()


def tiers(name: str = "ns", *, hot: int = 64 * KB, warm: int = 0, cold: int = 0,
          **options: object) -> NamespaceConfig:
    """A namespace config with budgets in bytes."""
    return NamespaceConfig(name, hot_bytes=hot, warm_bytes=warm, cold_bytes=cold,
                           **options)  # type: ignore[arg-type]
