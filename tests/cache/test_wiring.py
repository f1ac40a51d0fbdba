"""What the memory service and the plugin host will call, on the hub's own namespaces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pajamas.cache import wiring
from pajamas.cache.service import CacheService
from pajamas.cache.tiered import Cache
from pajamas.config import Settings


@pytest.fixture
def service(tmp_path: Path) -> Any:
    opened: list[CacheService] = []

    def open_() -> CacheService:
        settings = Settings(cache_hot_mb=1, cache_warm_mb=4, cache_cold_mb=4,
                            cache_hot_floor_mb=0)
        opened.append(CacheService.open(tmp_path, settings))
        return opened[-1]

    yield open_
    for one in opened:
        one.close()


class Embedder:
    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def __call__(self, texts: list[str]) -> list[list[float]]:
        self.batches.append(texts)
        return [[float(len(text)), 0.5] for text in texts]


def test_embeddings_are_embedded_once_and_survive_a_restart(service: Any) -> None:
    embed = Embedder()
    first = service().cache
    assert wiring.cached_embeddings(first, "minilm", ["a", "bb"], embed) == [[1.0, 0.5],
                                                                            [2.0, 0.5]]
    assert wiring.cached_embeddings(first, "minilm", ["bb", "ccc"], embed)[1] == [3.0, 0.5]
    first.close()
    again = service().cache
    assert wiring.cached_embeddings(again, "minilm", ["a", "bb", "ccc"], embed)[0] == [1.0, 0.5]
    assert wiring.cached_embeddings(again, "other-model", ["a"], embed) == [[1.0, 0.5]]
    assert embed.batches == [["a", "bb"], ["ccc"], ["a"]]


def test_a_persona_memory_change_drops_only_its_search_results(service: Any) -> None:
    cache: Cache = service().cache
    runs: list[str] = []

    def search(persona: str, query: str) -> Any:
        def run() -> Any:
            runs.append(f"{persona}:{query}")
            return {"items": [{"text": f"{persona} {query}", "score": 0.9}]}
        return wiring.cached_search(cache, persona, query, {"limit": 10, "mode": "hybrid"}, run)

    for _ in range(2):
        search("p1", "coffee")
        search("p2", "coffee")
    wiring.memory_changed(cache, "p1")
    search("p1", "coffee")
    search("p2", "coffee")
    assert runs == ["p1:coffee", "p2:coffee", "p1:coffee"]


def test_search_keys_ignore_the_order_of_params() -> None:
    one = wiring.search_key("p", "q", {"limit": 5, "filter": {"a": 1, "b": 2}})
    two = wiring.search_key("p", "q", {"filter": {"b": 2, "a": 1}, "limit": 5})
    assert one == two != wiring.search_key("p", "q", {"limit": 6, "filter": {"a": 1, "b": 2}})


def test_only_pure_plugin_functions_are_cached_and_never_across_personas(service: Any) -> None:
    cache: Cache = service().cache
    calls: list[str] = []

    def call(persona: str, pure: bool) -> Any:
        return wiring.cached_plugin_call(
            cache, persona=persona, plugin="dice", release="1.0+ab", function="roll",
            args={"sides": 6}, pure=pure, call=lambda: calls.append(persona) or len(calls))

    assert [call("p1", True), call("p1", True), call("p2", True)] == [1, 1, 2]
    assert [call("p1", False), call("p1", False)] == [3, 4]
    cache.invalidate_tag(wiring.plugin_tag("dice"))  # uninstalled: every persona's goes
    assert [call("p1", True), call("p2", True)] == [5, 6]
    wiring.memory_changed(cache, "p1")  # dice reads no memory: its results stay
    assert call("p1", True) == 5
    cache.invalidate_tag(wiring.plugin_results_tag("p1"))  # p1 deleted: only p1's go
    assert [call("p1", True), call("p2", True)] == [7, 6]


def test_a_memory_reader_s_results_go_stale_with_the_memory(service: Any) -> None:
    cache: Cache = service().cache
    calls: list[int] = []

    def call(release: str = "1.0+ab") -> Any:
        return wiring.cached_plugin_call(
            cache, persona="p1", plugin="notes", release=release, function="recall", args={},
            pure=True, reads_memory=True, call=lambda: calls.append(1) or len(calls))

    assert [call(), call()] == [1, 1]
    wiring.memory_changed(cache, "p1")
    assert [call(), call()] == [2, 2]
    assert call("1.0+cd") == 3  # another install of the plugin


def test_the_service_splits_the_settings_budgets_and_sheds_under_pressure(
        service: Any) -> None:
    svc = service()
    stats = svc.stats()
    assert set(stats["namespaces"]) == {"embeddings", "search", "plugin_results"}
    hot = sum(s["tiers"]["hot"]["budget_bytes"] for s in stats["namespaces"].values())
    assert hot <= 1024 * 1024 and stats["namespaces"]["embeddings"]["ttl_s"] is None
    for i in range(200):
        svc.cache.set("search", f"q{i}", "r" * 500)
    assert svc.shed() > 0 and svc.cache.hot_bytes <= svc.hot_floor_bytes
    assert all(svc.cache.get("search", f"q{i}") == "r" * 500 for i in range(200))
    assert svc.recent_hit_rate() == 1.0 and svc.recent_hit_rate() is None
