"""The core's cache service: the hub's one `Cache`, built from the settings by a start-up stage.

The memory service and the plugin host reach the cache as `CacheService.cache`; the monitor
calls `shed` under memory pressure and samples `recent_hit_rate` as a gauge; the `cache.*`
methods (`methods.py`) call the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, final

from pajamas.cache.namespaces import hub_namespaces
from pajamas.cache.tiered import Cache, CacheFolders
from pajamas.config import Settings
from pajamas.errors import InvalidParams
from pajamas.faults import Faults

CACHE_DIR: Final = "cache"
_MB: Final = 1024 * 1024


@final
class CacheService:
    """What the core does with its cache."""

    def __init__(self, cache: Cache, *, hot_floor_bytes: int) -> None:
        self.cache = cache
        self.hot_floor_bytes = hot_floor_bytes
        self._last_counts = (0, 0)

    @classmethod
    def open(cls, home: Path, settings: Settings, *,
             clock: Callable[[], float] = time.time,
             faults: Faults | None = None) -> CacheService:
        """The service of home's cache (`<home>/cache`), with the settings' budgets; damaged
        files found are reported to faults (and contained: see warm.py and cold.py)."""
        floor = settings.cache_hot_floor_mb * _MB
        configs = hub_namespaces(settings.cache_hot_mb * _MB, settings.cache_warm_mb * _MB,
                                 settings.cache_cold_mb * _MB, floor)
        cache = Cache(configs, CacheFolders.under(home / CACHE_DIR), clock=clock,
                      pressure=settings.cache_memory_pressure, faults=faults)
        return cls(cache, hot_floor_bytes=floor)

    def stats(self) -> dict[str, Any]:
        """The cache's figures (see `cache.stats`)."""
        return dict(self.cache.stats())

    def clear(self, namespace: str | None) -> dict[str, Any]:
        """Empty one namespace, or all of them."""
        names = self.cache.names if namespace is None else [self.cache.namespace(namespace).name]
        return {"cleared": self.cache.clear(namespace), "namespaces": names}

    def pressure(self, on: bool) -> dict[str, Any]:
        """Hold the hot tier at its floor, or release it."""
        self.cache.pressure(on)
        return {"pressure": on, "hot_bytes": self.cache.hot_bytes,
                "hot_budget_bytes": self.cache.stats()["hot_budget_bytes"]}

    def shrink_hot(self, to_bytes: int) -> dict[str, Any]:
        """Shed the hot tier to about to_bytes now."""
        if to_bytes < 0:
            raise InvalidParams(f"param 'to_bytes' must be at least 0, not {to_bytes}",
                                field="to_bytes")
        freed = self.cache.shrink_hot(to_bytes)
        return {"freed_bytes": freed, "hot_bytes": self.cache.hot_bytes}

    def shed(self) -> int:
        """The monitor's pressure response: shed the hot tier to its floor, demoting what
        leaves (no data is lost that the warm tier can take); returns the bytes freed."""
        return self.cache.shrink_hot(self.hot_floor_bytes)

    def recent_hit_rate(self) -> float | None:
        """The share of lookups that hit since the previous call (None without lookups)."""
        hits, misses = self.cache.counts()
        last_hits, last_misses = self._last_counts
        self._last_counts = (hits, misses)
        lookups = hits - last_hits + misses - last_misses
        return (hits - last_hits) / lookups if lookups > 0 else None

    def close(self) -> None:
        """Close the cache's files."""
        self.cache.close()
