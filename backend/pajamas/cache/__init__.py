"""The tiered cache: hot (memory), warm (diskcache) and cold (zstd files), behind one API.

Usage::

    from pajamas.cache import Cache, CacheFolders, NamespaceConfig

    cache = Cache([NamespaceConfig("search", hot_bytes=8 << 20, warm_bytes=64 << 20)],
                  CacheFolders.under(home / "cache"))
    hits = cache.get_or_load("search", key, run_search, tags=[persona_tag(persona)])
    cache.invalidate_tag(persona_tag(persona))   # the persona's memory changed

In the core, the features that use the cache take the slot `cache.methods.install` returns
(`cache.peek()` is the service once its stage is done) and use the helpers of `wiring` (keys,
tags, and the cached embedding, search and plugin-call paths).  Modules::

    tiered.py      Cache: the API over namespaces (get, get_many, set, get_or_load,
                   invalidate, invalidate_tag, clear, stats, pressure, shrink_hot)
    namespace.py   one namespace's tiers: lookups, promotion, demotion, single flight, TTL
    namespaces.py  NamespaceConfig and the hub's three namespaces
    hot.py         the in-memory tier, bounded by bytes
    policy.py      S3-FIFO, the hot tier's eviction policy
    doorkeeper.py  the memory of recent keys that keeps one-hit wonders off the disk
    warm.py        the diskcache tier
    cold.py        the zstd file tier (checksummed; a damaged file reads as a miss)
    records.py     the wire formats: values, keys, records on disk
    tags.py        tag epochs: invalidation by tag, durable
    flight.py      single flight for get_or_load
    stats.py       counters and sampled latencies; the shapes `cache.stats` returns
    wiring.py      keys and cached paths for embeddings, search results and plugin results
    service.py     the core's cache service (built from the settings)
    methods.py     the cache.* RPC methods, and `install`, which wires the cache into the core
    report.py      the table `pajamas cache stats` prints

The public names are imported on first use: the core imports `methods` before it serves, and
must not pay for diskcache and zstandard then.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pajamas.cache.namespaces import EMBEDDINGS, PLUGIN_RESULTS, SEARCH, NamespaceConfig
    from pajamas.cache.tiered import Cache, CacheFolders

__all__ = ["EMBEDDINGS", "PLUGIN_RESULTS", "SEARCH", "Cache", "CacheFolders", "NamespaceConfig"]

_HOMES = {"EMBEDDINGS": "namespaces", "PLUGIN_RESULTS": "namespaces", "SEARCH": "namespaces",
          "NamespaceConfig": "namespaces", "Cache": "tiered", "CacheFolders": "tiered"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'pajamas.cache' has no attribute {name!r}")
    return getattr(importlib.import_module(f"pajamas.cache.{_HOMES[name]}"), name)
