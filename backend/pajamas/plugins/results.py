"""`PluginResults`: the results of pure plugin functions, kept in the tiered cache.

A function whose manifest says `pure = true` returns the same result for the same args, so
the runtime answers a repeated call from the cache's `plugin_results` namespace: no host is
started or woken, and the reply's usage is all zeros.  Only results are stored: an error (an
exception, a quota kill, a timeout) reaches its caller as always, and the next call runs the
plugin again.  Concurrent misses of one call run the plugin once.

The key (`pajamas.cache.wiring.plugin_result_key`) holds the persona, the plugin, its release
(version, install time and every file's SHA-256, `PluginRegistry.release`), the function and
the args in a canonical order, so a reinstalled plugin never meets an older result and one
persona never gets another's.  Tags turn results stale at once: the plugin's when it is
uninstalled, the persona's when it is deleted, and the persona's memory, whenever it changes,
for a plugin that may read it.

The cache comes from a start-up stage that may not be done yet, or may have failed, so it is
reached through a callable; without a cache a call simply runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, final

if TYPE_CHECKING:
    from pajamas.cache.service import CacheService
    from pajamas.cache.tiered import Cache
    from pajamas.stages import Slot

Reply = dict[str, Any]
#: The usage of a call answered from the cache: no host ran.
NO_USAGE: Final = {"cpu_s": 0.0, "wall_s": 0.0, "peak_rss": 0}


@dataclass(frozen=True)
class PureCall:
    """A call of a pure function, as the cache keys it."""

    persona: str
    plugin: str
    release: str
    function: str
    args: dict[str, Any]
    reads_memory: bool = False


@final
class PluginResults:
    """Answers repeated calls of pure functions from the cache's `plugin_results` namespace."""

    def __init__(self, cache: Callable[[], Cache | None]) -> None:
        self._cache = cache

    @classmethod
    def of(cls, slot: Slot[CacheService]) -> PluginResults:
        """Results kept in the cache service of slot, from when its stage is done."""
        return cls(lambda: None if (service := slot.peek()) is None else service.cache)

    def call(self, call: PureCall, run: Callable[[], Reply]) -> Reply:
        """run()'s reply ({"result", "usage"}), or the result cached for the same call."""
        cache = self._cache()
        if cache is None:
            return run()
        from pajamas.cache.wiring import cached_plugin_call  # noqa: PLC0415

        ran: list[Reply] = []

        def load() -> Any:
            reply = run()
            ran.append(reply)
            return reply["result"]

        result = cached_plugin_call(cache, persona=call.persona, plugin=call.plugin,
                                    release=call.release, function=call.function,
                                    args=call.args, pure=True, call=load,
                                    reads_memory=call.reads_memory)
        return ran[0] if ran else {"result": result, "usage": dict(NO_USAGE)}

    def forget_plugin(self, name: str) -> None:
        """Turn every cached result of the plugin stale (it is being uninstalled)."""
        from pajamas.cache.wiring import plugin_tag  # noqa: PLC0415

        self._invalidate(plugin_tag(name))

    def forget_persona(self, persona: str) -> None:
        """Turn every plugin result cached for the persona stale (it is being deleted)."""
        from pajamas.cache.wiring import plugin_results_tag  # noqa: PLC0415

        self._invalidate(plugin_results_tag(persona))

    def _invalidate(self, tag: str) -> None:
        cache = self._cache()
        if cache is not None:
            cache.invalidate_tag(tag)
