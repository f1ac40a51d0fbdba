"""Cache benchmarks: a read from each tier, the hot tier's hit rate against LRU, the overall hit
rate of the three tiers, and a repeated memory search through RPC.

The reads go through `Cache.get`, the API the services use.  Each latency benchmark also times
the bare library under the tier (an OrderedDict, a diskcache, a zstd file) in the same run, as
the floor the tier's bookkeeping adds to.
"""

from __future__ import annotations

import itertools
import random
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from pajamas.cache.hot import entry_size
from pajamas.cache.namespaces import NamespaceConfig
from pajamas.cache.records import pack_value
from pajamas.cache.tiered import Cache, CacheFolders
from pajamas.perf.benchmark import Context, Measurement
from pajamas.perf.cores import throwaway_core
from pajamas.perf.registry import benchmark
from pajamas.perf.stats import summarize
from pajamas.perf.timing import NS_PER_MS, time_calls
from pajamas.rpc.client import Client

NS: Final = "bench"
ZIPF_ALPHA: Final = 0.9
WINDOWS: Final = 10
_WORDS: Final = ("the", "a", "memory", "persona", "search", "result", "score", "text", "user",
                  "said", "likes", "coffee", "tea", "morning", "evening", "walk", "book", "music")


@contextmanager
def bench_cache(workdir: Path, config: NamespaceConfig) -> Iterator[Cache]:
    """A cache of one namespace under workdir, closed afterwards."""
    cache = Cache([config], CacheFolders.under(workdir / "cache"))
    try:
        yield cache
    finally:
        cache.close()


def search_results(count: int, seed: int = 4) -> list[dict[str, Any]]:
    """A search reply's items, as the search namespace caches them (~112 bytes each)."""
    rng = random.Random(seed)  # noqa: S311  (sample data, not a secret)
    return [{"id": f"mem-{i:06d}", "persona": "persona-1", "score": round(rng.random(), 3),
             "text": " ".join(rng.choice(_WORDS) for _ in range(10))} for i in range(count)]


# -- latency per tier ---------------------------------------------------------------------

@benchmark(name="cache.hot_get", unit="µs")
def hot_get(ctx: Context) -> Measurement:
    """`Cache.get` of a 100-byte value from the hot tier (1,000 keys in turn).

    Extra figure: an OrderedDict LRU's get (lookup and move_to_end) in the same run.
    """
    keys = [f"key-{i:05d}" for i in range(1000)]
    calls, warmup = ctx.count(20_000, minimum=200), ctx.count(2_000, minimum=20)
    with bench_cache(ctx.workdir, NamespaceConfig(NS, hot_bytes=64 << 20)) as cache:
        for key in keys:
            cache.set(NS, key, b"v" * 100)
        after, get = itertools.cycle(keys).__next__, cache.get
        samples = time_calls(lambda: get(NS, after()), calls, warmup=warmup)
    lru: OrderedDict[str, bytes] = OrderedDict((key, b"v" * 100) for key in keys)
    floor = summarize(time_calls(_lru_get(lru, itertools.cycle(keys).__next__), calls,
                                 warmup=warmup)).median
    return Measurement(samples, extra={"ordereddict_get_p50_us": floor,
                                       "overhead_p50_us": summarize(samples).median - floor})


def _lru_get(lru: OrderedDict[str, bytes], after: Callable[[], str]) -> Callable[[], bytes]:
    def get() -> bytes:
        key = after()
        lru.move_to_end(key)
        return lru[key]
    return get


@benchmark(name="cache.warm_get", unit="µs")
def warm_get(ctx: Context) -> Measurement:
    """`Cache.get` of a 1 KB value from the warm tier (hot tier off; 1,000 keys in turn).

    Extra figure: a bare diskcache get of a 1 KB value in the same run.
    """
    keys = [f"key-{i:05d}" for i in range(1000)]
    calls, warmup = ctx.count(5_000, minimum=100), ctx.count(500, minimum=10)
    config = NamespaceConfig(NS, hot_bytes=0, warm_bytes=64 << 20)
    with bench_cache(ctx.workdir, config) as cache:
        for key in keys:
            cache.set(NS, key, b"w" * 1024)
        after, get = itertools.cycle(keys).__next__, cache.get
        samples = time_calls(lambda: get(NS, after()), calls, warmup=warmup)
    floor = _diskcache_floor(ctx.workdir / "bare", keys, calls, warmup)
    return Measurement(samples, extra={"diskcache_get_p50_us": floor,
                                       "overhead_p50_us": summarize(samples).median - floor})


def _diskcache_floor(folder: Path, keys: list[str], calls: int, warmup: int) -> float:
    import diskcache  # type: ignore[import-untyped]  # noqa: PLC0415

    store = diskcache.Cache(str(folder), eviction_policy="none")
    try:
        for key in keys:
            store.set(key, b"w" * 1024)
        after, get = itertools.cycle(keys).__next__, store.get
        return summarize(time_calls(lambda: get(after()), calls, warmup=warmup)).median
    finally:
        store.close()


@benchmark(name="cache.cold_get", unit="µs")
def cold_get(ctx: Context) -> Measurement:
    """`Cache.get` of a 100 KB value from the cold tier (hot and warm off).

    The value is bytes: 900 search results as msgpack, a rendered reply (a value made of
    objects would time msgpack building them, not the tier).  Extra figures: a bare read and
    decompression of a zstd-3 file of the value in the same run, and its compression ratio.
    """
    value = pack_value(search_results(900))
    keys = [f"key-{i:03d}" for i in range(50)]
    calls, warmup = ctx.count(1_000, minimum=30), ctx.count(100, minimum=5)
    config = NamespaceConfig(NS, hot_bytes=0, cold_bytes=256 << 20)
    with bench_cache(ctx.workdir, config) as cache:
        for key in keys:
            cache.set(NS, key, value)
        after, get = itertools.cycle(keys).__next__, cache.get
        samples = time_calls(lambda: get(NS, after()), calls, warmup=warmup)
    floor, ratio = _zstd_floor(ctx.workdir / "bare", pack_value(value), calls, warmup)
    return Measurement(samples, extra={"zstd_file_read_p50_us": floor,
                                       "overhead_p50_us": summarize(samples).median - floor,
                                       "value_bytes": len(value), "compression_ratio": ratio})


def _zstd_floor(folder: Path, data: bytes, calls: int, warmup: int) -> tuple[float, float]:
    import zstandard  # noqa: PLC0415

    folder.mkdir(parents=True)
    path = folder / "value.zst"
    compressed = zstandard.ZstdCompressor(level=3).compress(data)
    path.write_bytes(compressed)
    decompress = zstandard.ZstdDecompressor().decompress
    samples = time_calls(lambda: decompress(path.read_bytes()), calls, warmup=warmup)
    return summarize(samples).median, len(data) / len(compressed)


# -- hit rates ------------------------------------------------------------------------------

def zipf_trace(requests: int, keys: int, *, alpha: float = ZIPF_ALPHA,
               seed: int = 0) -> list[str]:
    """requests keys drawn from keys names by a Zipf(alpha) law, popularity shuffled."""
    import numpy as np  # noqa: PLC0415  (only the hit-rate benchmarks need it)

    rng = np.random.default_rng(seed)
    weights = np.arange(1, keys + 1, dtype=np.float64) ** -alpha
    ranks = rng.choice(keys, size=requests, p=weights / weights.sum())
    names = [f"k{i:07d}" for i in rng.permutation(keys).tolist()]
    return [names[rank] for rank in ranks.tolist()]


def _entry_bytes() -> int:
    """The hot-tier bytes of one benchmark entry: an 8-character key and a 100-byte value."""
    return entry_size("k0000000", pack_value(b"v" * 100))


class Replay:
    """Replays a trace through `get_or_load`, counting the loads (the complete misses)."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self.loads = 0

    def _load(self) -> bytes:
        self.loads += 1
        return b"v" * 100

    def hits(self, trace: Sequence[str]) -> int:
        """Replay trace; how many of its requests some tier answered."""
        before, get_or_load, load = self.loads, self.cache.get_or_load, self._load
        for key in trace:
            get_or_load(NS, key, load)
        return len(trace) - (self.loads - before)


def lru_hits(trace: Sequence[str], budget: int, size: int, lru: OrderedDict[str, None]) -> int:
    """Replay trace through an LRU of budget bytes (entries of size bytes); its hits."""
    capacity, hits = budget // size, 0
    for key in trace:
        if key in lru:
            lru.move_to_end(key)
            hits += 1
        else:
            lru[key] = None
            if len(lru) > capacity:
                lru.popitem(last=False)
    return hits


def windows(trace: list[str], count: int = WINDOWS) -> list[list[str]]:
    """trace cut into count equal windows (the remainder dropped)."""
    size = len(trace) // count
    return [trace[i * size:(i + 1) * size] for i in range(count)]


@benchmark(name="cache.hit_rate", unit="points", better="higher")
def hit_rate(ctx: Context) -> Measurement:
    """Hot-tier hit rate minus an LRU's of the same byte budget, in points, per tenth of a trace.

    The trace: 1,000,000 requests over 100,000 keys drawn by Zipf(0.9), replayed through
    `get_or_load` into a hot tier sized at 1% of the keys; the LRU is simulated on the same
    trace in the same run.  Extra figures: both hit rates over the whole trace, in %.
    """
    keys, requests = ctx.count(100_000, minimum=1_000), ctx.count(1_000_000, minimum=10_000)
    budget = keys // 100 * _entry_bytes()
    trace = zipf_trace(requests, keys, seed=1)
    lru: OrderedDict[str, None] = OrderedDict()
    with bench_cache(ctx.workdir, NamespaceConfig(NS, hot_bytes=budget)) as cache:
        replay = Replay(cache)
        pairs = [(replay.hits(part), lru_hits(part, budget, _entry_bytes(), lru), len(part))
                 for part in windows(trace)]
    hot, plain, total = (sum(column) for column in zip(*pairs, strict=True))
    return Measurement([100 * (h - p) / n for h, p, n in pairs],
                       extra={"hot_hit_rate_pct": 100 * hot / total,
                              "lru_hit_rate_pct": 100 * plain / total,
                              "requests": total, "keys": keys, "hot_budget_bytes": budget})


@benchmark(name="cache.hit_rate_overall", unit="%", better="higher")
def hit_rate_overall(ctx: Context) -> Measurement:
    """Share of requests answered by any tier, per tenth of a trace, after a warm-up trace.

    Both traces: 200,000 requests over 20,000 keys drawn by Zipf(0.9) (fresh draws of the same
    law; the requests per key of cache.hit_rate's trace at a fifth of its size, since most
    requests here cost a disk read), through `get_or_load`; hot tier at 1% of the keys, warm
    at 25%, cold at 150% (it holds everything).  Extra figures: each tier's hits, promotions
    and demotions.
    """
    keys, requests = ctx.count(20_000, minimum=1_000), ctx.count(200_000, minimum=10_000)
    size = _entry_bytes()
    config = NamespaceConfig(NS, hot_bytes=keys // 100 * size, warm_bytes=keys // 4 * size,
                             cold_bytes=keys * 3 // 2 * size, doorkeeper_bits=1 << 21)
    with bench_cache(ctx.workdir, config) as cache:
        replay = Replay(cache)
        replay.hits(zipf_trace(requests, keys, seed=2))
        parts = windows(zipf_trace(requests, keys, seed=3))
        samples = [100 * replay.hits(part) / len(part) for part in parts]
        tiers = cache.stats()["namespaces"][NS]["tiers"]
    extra: dict[str, float] = {"requests": len(parts) * len(parts[0]), "keys": keys}
    for name, figures in tiers.items():
        extra[f"{name}_hits"] = figures["hits"]
        extra[f"{name}_promotions"] = figures["promotions"]
        extra[f"{name}_demotions"] = figures["demotions"]
    return Measurement(samples, extra=extra)


# -- through the core ------------------------------------------------------------------------

@benchmark(name="cache.search_repeat", unit="x", better="higher")
def search_repeat(ctx: Context) -> Measurement:
    """The first `memory.search` of a query over the second identical one, through RPC.

    Each sample is a new query: the time of its first search divided by its second's.
    """
    with throwaway_core(ctx.workdir) as client:
        persona = client.call("persona.create", {"name": "bench"})["id"]
        rng = random.Random(5)  # noqa: S311  (sample data, not a secret)
        texts = [" ".join(rng.choices(_WORDS, k=12)) for _ in range(200)]
        client.call("memory.add_batch", {"persona": persona,
                                         "items": [{"text": text} for text in texts]})
        _speedup(client, persona, "warm-up: loads the model, opens the table")
        samples = [_speedup(client, persona, f"what about {word} {i}")
                   for i, word in enumerate(itertools.islice(itertools.cycle(_WORDS),
                                                             ctx.count(50, minimum=5)))]
    return Measurement(samples)


def _speedup(client: Client, persona: str, query: str) -> float:
    def search() -> object:
        return client.call("memory.search", {"persona": persona, "query": query})

    first = _timed(search)
    return first / _timed(search)


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - start) / NS_PER_MS

