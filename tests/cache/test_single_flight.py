"""get_or_load: concurrent misses of one key run the loader once; writes during a load win."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from pajamas.cache.tiered import Cache
from tests.cache.conftest import OpenCache, tiers
from tests.conftest import PATIENCE_S

THREADS = 8


class GatedLoader:
    """A loader that blocks until released, counting its calls."""

    def __init__(self, value: Any = "loaded", error: Exception | None = None) -> None:
        self.value, self.error = value, error
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> Any:
        self.calls += 1
        self.started.set()
        assert self.release.wait(PATIENCE_S), "the test never released the loader"
        if self.error is not None:
            raise self.error
        return self.value


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.001)


def load_together(cache: Cache, loader: GatedLoader) -> list[Any]:
    """THREADS callers of one key; the loader is released once all but its leader wait."""
    space = cache.namespace("ns")
    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(space.get_or_load, "k", loader) for _ in range(THREADS)]
        wait_until(lambda: space.followers("k") == THREADS - 1)
        loader.release.set()
        return [f.exception() or f.result() for f in futures]


def test_concurrent_misses_run_the_loader_once(open_cache: OpenCache) -> None:
    cache = open_cache(tiers())
    loader = GatedLoader({"vector": [1.0, 2.0]})
    results = load_together(cache, loader)
    assert loader.calls == 1 and results == [{"vector": [1.0, 2.0]}] * THREADS
    assert cache.get("ns", "k") == {"vector": [1.0, 2.0]}
    assert cache.stats()["namespaces"]["ns"]["loads"] == 1
    results[1]["vector"].append(3.0)  # each caller has its own copy
    assert results[2] == {"vector": [1.0, 2.0]}


def test_a_failing_load_fails_every_waiting_caller_and_stores_nothing(
        open_cache: OpenCache) -> None:
    cache = open_cache(tiers())
    loader = GatedLoader(error=RuntimeError("model crashed"))
    results = load_together(cache, loader)
    assert loader.calls == 1
    assert all(isinstance(r, RuntimeError) and str(r) == "model crashed" for r in results)
    assert cache.get("ns", "k") is None
    assert cache.get_or_load("ns", "k", lambda: "second try") == "second try"


@pytest.mark.parametrize("write", ["set", "invalidate", "clear"])
def test_a_write_during_a_load_keeps_the_loaded_value_out(open_cache: OpenCache,
                                                           write: str) -> None:
    cache = open_cache(tiers())
    loader = GatedLoader("computed before the write")
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(cache.get_or_load, "ns", "k", loader)
        assert loader.started.wait(PATIENCE_S)
        if write == "set":
            cache.set("ns", "k", "written")
        elif write == "invalidate":
            cache.invalidate("ns", "k")
        else:
            cache.clear()
        loader.release.set()
        assert future.result() == "computed before the write"
    assert cache.get("ns", "k") == ("written" if write == "set" else None)


def test_a_tag_invalidated_during_a_load_makes_its_value_stale(open_cache: OpenCache) -> None:
    cache = open_cache(tiers(warm=64 * 1024, write_through=True))
    loader = GatedLoader("results from before the memory changed")
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(cache.get_or_load, "ns", "q", loader, tags=["persona:1"])
        assert loader.started.wait(PATIENCE_S)
        cache.invalidate_tag("persona:1")
        loader.release.set()
        future.result()
    assert cache.get("ns", "q") is None
    assert cache.get_or_load("ns", "q", lambda: "fresh", tags=["persona:1"]) == "fresh"
    assert cache.get("ns", "q") == "fresh"
