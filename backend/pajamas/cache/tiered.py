"""`Cache`: the tiered cache's one API, over its namespaces.

Every call names a namespace; `namespace()` hands out one namespace's object for a service
that uses only it (the same methods without the first argument).  Tags are global: one
`invalidate_tag("persona:<id>")` reaches that persona's entries in every namespace and tier.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, final

from pajamas.cache.namespace import Namespace
from pajamas.cache.namespaces import NamespaceConfig
from pajamas.cache.records import Key
from pajamas.cache.stats import CacheSnapshot
from pajamas.cache.tags import TagEpochs
from pajamas.errors import NotFound
from pajamas.faults import Faults

_ABSENT: Final = object()


@dataclass(frozen=True)
class CacheFolders:
    """Where the disk tiers and the tag store live (each namespace gets a folder inside)."""

    warm: Path
    cold: Path
    tags: Path

    @classmethod
    def under(cls, root: Path) -> CacheFolders:
        """The standard layout: `<root>/warm`, `<root>/cold`, `<root>/tags`."""
        return cls(warm=root / "warm", cold=root / "cold", tags=root / "tags")


@final
class Cache:
    """Hot, warm and cold tiers behind one API, per namespace; thread-safe.

    Values are anything msgpack can carry (they are stored as its bytes; tuples come back as
    lists); keys are str or bytes.  `clock` gives seconds since the epoch, for TTLs.
    """

    def __init__(self, namespaces: Iterable[NamespaceConfig], folders: CacheFolders, *,
                 clock: Callable[[], float] = time.time, pressure: bool = False,
                 faults: Faults | None = None) -> None:
        self.folders = folders
        self._epochs = TagEpochs(folders.tags)
        self._namespaces: dict[str, Namespace] = {}
        for config in namespaces:
            if config.name in self._namespaces:
                raise ValueError(f"cache namespace {config.name} is configured twice")
            self._namespaces[config.name] = Namespace(config, folders.warm, folders.cold,
                                                      self._epochs, clock, faults=faults)
        self._pressure = False
        if pressure:
            self.pressure(True)

    def namespace(self, name: str) -> Namespace:
        """The namespace called name; `NotFound` lists the known ones."""
        try:
            return self._namespaces[name]
        except KeyError:
            known = ", ".join(self._namespaces) or "none"
            raise NotFound(f"no cache namespace {name!r}; the namespaces are: {known}",
                           namespace=name) from None

    @property
    def names(self) -> list[str]:
        """The namespaces' names."""
        return list(self._namespaces)

    def get(self, namespace: str, key: Key, default: Any = None) -> Any:
        """The value for key in namespace, or default."""
        try:
            space = self._namespaces[namespace]
        except KeyError:
            space = self.namespace(namespace)  # raises NotFound
        return space.get(key, default)

    def get_many(self, namespace: str, keys: Iterable[Key]) -> dict[Key, Any]:
        """The values held for keys, by key (keys without one are left out)."""
        space = self.namespace(namespace)
        found = {}
        for key in keys:
            value = space.get(key, _ABSENT)
            if value is not _ABSENT:
                found[key] = value
        return found

    def set(self, namespace: str, key: Key, value: Any, *, ttl: float | None = None,
            tags: Iterable[str] = ()) -> None:
        """Store value for key; ttl (seconds) overrides the namespace's; tags for invalidation."""
        self.namespace(namespace).set(key, value, ttl=ttl, tags=tags)

    def get_or_load(self, namespace: str, key: Key, loader: Callable[[], Any], *,
                    ttl: float | None = None, tags: Iterable[str] = ()) -> Any:
        """The value for key, or loader()'s, stored; concurrent misses run loader once."""
        return self.namespace(namespace).get_or_load(key, loader, ttl=ttl, tags=tags)

    def invalidate(self, namespace: str, key: Key) -> bool:
        """Delete key from every tier of namespace; whether any tier held it."""
        return self.namespace(namespace).invalidate(key)

    def invalidate_tag(self, tag: str) -> None:
        """Make every value stored with tag stale, in every namespace and tier, durably."""
        self._epochs.invalidate(tag)

    def clear(self, namespace: str | None = None) -> int:
        """Delete every value of namespace (of all namespaces if None); how many there were."""
        spaces = self._namespaces.values() if namespace is None else [self.namespace(namespace)]
        return sum(space.clear() for space in spaces)

    def stats(self) -> CacheSnapshot:
        """Figures per namespace and tier: hits, misses, bytes, moves and latencies."""
        return CacheSnapshot(pressure=self._pressure, hot_bytes=self.hot_bytes,
                             hot_budget_bytes=sum(s.hot_budget for s in self._spaces),
                             namespaces={s.name: s.snapshot() for s in self._spaces})

    def counts(self) -> tuple[int, int]:
        """(hits, misses) of every lookup so far, over all namespaces; cheap (no disk)."""
        pairs = [space.counts() for space in self._spaces]
        return sum(hits for hits, _ in pairs), sum(misses for _, misses in pairs)

    # -- memory pressure ------------------------------------------------------------------

    @property
    def under_pressure(self) -> bool:
        """Whether the hot tier is held at its floor."""
        return self._pressure

    @property
    def hot_bytes(self) -> int:
        """Bytes the hot tier holds now, over all namespaces."""
        return sum(space.hot_bytes for space in self._spaces)

    def pressure(self, on: bool) -> None:
        """Hold the hot tier at its floor (demoting what it sheds) or give it back its budget."""
        self._pressure = on
        for space in self._spaces:
            config = space.config
            space.resize_hot(config.hot_floor_bytes if on else config.hot_bytes)

    def shrink_hot(self, to_bytes: int) -> int:
        """Shed the hot tier now to about to_bytes in all, demoting; returns the bytes freed.

        Each namespace keeps its share of to_bytes; budgets are unchanged, so the tier may
        grow back (use `pressure` to hold it down).
        """
        budgets = {space.name: space.hot_budget for space in self._spaces}
        total = sum(budgets.values())
        if total == 0:
            return 0
        return sum(space.shrink_hot(int(max(0, to_bytes) * budgets[space.name] / total))
                   for space in self._spaces)

    def close(self) -> None:
        """Close the disk tiers and the tag store."""
        for space in self._spaces:
            space.close()
        self._epochs.close()

    @property
    def _spaces(self) -> list[Namespace]:
        return list(self._namespaces.values())

