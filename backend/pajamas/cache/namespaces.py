"""Namespaces: what each kind of cached data gets (budgets per tier, default TTL, write policy).

The hub's three namespaces share the tier budgets that the settings give, in fixed shares:

- ``embeddings``: an embedding is costly (milliseconds of model time) and never goes stale
  (the key holds the model and a hash of the text), so it has no TTL and is written through
  to the warm tier at once: embeddings survive a restart, even a crash.
- ``search``: results of (persona, query, params); a write to the persona's memory
  invalidates them by tag, and a TTL bounds how far recency weighting lets them drift.
- ``plugin_results``: results of functions a plugin's manifest declares pure (see
  `pajamas.plugins.results`), per persona, until the plugin is reinstalled or a day passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from pajamas.errors import InvalidParams

EMBEDDINGS: Final = "embeddings"
SEARCH: Final = "search"
PLUGIN_RESULTS: Final = "plugin_results"
_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,62}")  # also a folder name on every OS


@dataclass(frozen=True)
class NamespaceConfig:
    """One namespace: its byte budget per tier (0 turns a tier off), TTL and write policy.

    `hot_floor_bytes` is the hot budget under memory pressure.  `write_through` stores every
    value in the warm tier as well when it is set, instead of only when it is demoted.
    `doorkeeper_bits` sizes the memory of recently seen keys that decides demotions (it
    remembers about bits / 16 keys).
    """

    name: str
    hot_bytes: int
    warm_bytes: int = 0
    cold_bytes: int = 0
    ttl_s: float | None = None
    write_through: bool = False
    hot_floor_bytes: int = 0
    doorkeeper_bits: int = 1 << 20

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise InvalidParams(f"a cache namespace is lower-case letters, digits and _, "
                                f"starting with a letter, not {self.name!r}", field="namespace")
        budgets = (self.hot_bytes, self.warm_bytes, self.cold_bytes, self.hot_floor_bytes)
        if min(budgets) < 0:
            raise ValueError(f"namespace {self.name}: budgets cannot be negative: {budgets}")
        if self.ttl_s is not None and self.ttl_s <= 0:
            raise ValueError(f"namespace {self.name}: ttl_s must be positive, not {self.ttl_s}")


@dataclass(frozen=True)
class _Share:
    """A namespace's share of each tier's budget."""

    hot: float
    warm: float
    cold: float
    ttl_s: float | None
    write_through: bool


# Each tier's shares follow what the namespaces put in it and how long it stays good (a budget
# is a cap, but a namespace cannot lend its unused room to another, so a share left idle
# shrinks the others):
# - embeddings: every memory added and every query embeds a text (1.5 KB of float32 each, a
#   few ms of model time), and a vector never goes stale, so they are most of every tier: at
#   the default settings the hot tier keeps ~20k vectors, the warm ~250k (all of a large
#   persona's memory) and the cold ~1M, which is what survives weeks of use.
# - search: a page of results (a few KB) goes stale at the persona's next memory write, which
#   comes every turn of a chat, so it is read from memory or not at all: most of its room is
#   hot, a little warm bridges a restart, and a cold tier would only hold dead pages.
# - plugin_results: what pure functions return (text-stats' counts, calculator's numbers: tens
#   of bytes; at most a plugin's output_kb, 1 MB by default), 6 MB hot at the defaults holds
#   tens of thousands; the disk tiers keep the larger ones (up to a quarter of a tier each).
_SHARES: Final = {
    EMBEDDINGS: _Share(hot=0.5, warm=0.75, cold=0.9, ttl_s=None, write_through=True),
    SEARCH: _Share(hot=0.4, warm=0.15, cold=0.0, ttl_s=3600.0, write_through=False),
    PLUGIN_RESULTS: _Share(hot=0.1, warm=0.1, cold=0.1, ttl_s=86400.0, write_through=False),
}


def hub_namespaces(hot_bytes: int, warm_bytes: int, cold_bytes: int,
                   hot_floor_bytes: int) -> list[NamespaceConfig]:
    """The hub's namespaces, sharing the given budget of each tier."""
    hot_floor_bytes = min(hot_floor_bytes, hot_bytes)
    return [NamespaceConfig(name, hot_bytes=int(hot_bytes * share.hot),
                            warm_bytes=int(warm_bytes * share.warm),
                            cold_bytes=int(cold_bytes * share.cold), ttl_s=share.ttl_s,
                            write_through=share.write_through,
                            hot_floor_bytes=int(hot_floor_bytes * share.hot))
            for name, share in _SHARES.items()]
