"""The cache.* methods, and the one call that installs the cache into the core.

`install` adds the "cache" start-up stage (which opens the tiers, off the request loop and
after the connection file is written), registers the methods, the monitor's pressure shed and
the dashboard's gauges.  Nothing heavy is imported until the stage runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pajamas.context import Shed
from pajamas.faults import Faults
from pajamas.rpc.methods import Registry
from pajamas.stages import Slot

if TYPE_CHECKING:  # the service imports diskcache and zstandard: only its stage loads it
    from pajamas.cache.service import CacheService
    from pajamas.context import Context


def install(ctx: Context) -> Slot[CacheService]:
    """Add the cache's start-up stage and methods; the slot of its service."""
    faults = Faults(ctx.home, ctx.publish, ctx.clock)  # damaged cache files: rebuilt, told
    ctx.add_check("cache_integrity", faults.check)
    slot = ctx.stages.add("cache", lambda: _start(ctx, faults),
                          stop=lambda service: service.close())
    register(ctx.registry, slot)
    return slot


def _start(ctx: Context, faults: Faults) -> CacheService:
    from pajamas.cache.service import CacheService  # noqa: PLC0415  (diskcache, zstandard)

    service = CacheService.open(ctx.home, ctx.settings, clock=ctx.clock, faults=faults)
    ctx.add_shed(Shed("cache.hot", service.shed))
    ctx.add_gauge("cache.hot_bytes", lambda: float(service.cache.hot_bytes))
    ctx.add_gauge("cache.hit_rate", service.recent_hit_rate)
    return service


def register(registry: Registry, cache: Slot[CacheService]) -> None:
    """Add cache.stats, cache.clear, cache.pressure and cache.shrink_hot, served by the
    service in the slot once its stage is done."""

    def stats() -> dict[str, Any]:
        """Report the cache's figures per namespace and per tier (hot, warm, cold).

        {"pressure", "hot_bytes", "hot_budget_bytes", "namespaces": {name: {"hits", "misses",
        "hit_rate", "items", "bytes", "loads", "get_p50_us", "get_p99_us", "set_p50_us",
        "set_p99_us", "ttl_s", "tiers": {"hot"|"warm"|"cold": {"hits", "misses", "hit_rate",
        "items", "bytes", "budget_bytes", "evictions", "promotions", "demotions",
        "expirations", "invalidations", "errors", "get_p50_us", "get_p99_us", "set_p50_us",
        "set_p99_us"}}}}}.  Latencies are microseconds over recent calls, null before any; a
        tier's promotions and demotions count the values it sent up and down.
        """
        return cache.get().stats()

    def clear(namespace: str | None = None) -> dict[str, Any]:
        """Empty every tier of one namespace, or of all of them when none is named.

        {"cleared": values removed, "namespaces": [names emptied]}; an unknown namespace is
        not_found.
        """
        return cache.get().clear(namespace)

    def pressure(on: bool) -> dict[str, Any]:
        """Hold the hot tier at its floor as under memory pressure, or give its budget back.

        What the hot tier sheds goes down to the warm tier, not away.  {"pressure",
        "hot_bytes", "hot_budget_bytes"}.
        """
        return cache.get().pressure(on)

    def shrink_hot(to_bytes: int) -> dict[str, Any]:
        """Shed the hot tier now to about `to_bytes` in all, demoting what leaves it.

        Budgets stay as they are, so the tier may grow back.  {"freed_bytes", "hot_bytes"}.
        """
        return cache.get().shrink_hot(to_bytes)

    registry.add("cache.stats", stats)
    registry.add("cache.clear", clear)
    registry.add("cache.pressure", pressure)
    registry.add("cache.shrink_hot", shrink_hot)
