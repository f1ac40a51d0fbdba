"""The cache.* methods of a real core, and `pajamas cache stats|clear`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pajamas.cache.namespaces import hub_namespaces
from pajamas.errors import InvalidParams, NotFound
from pajamas.rpc.client import Client
from tests.conftest import RunningCore, core_env, serving

MB = 1024 * 1024
HUB = hub_namespaces(64 * MB, 512 * MB, 2048 * MB, 8 * MB)  # the default settings


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCore]:
    """One core for this module's tests (each core costs seconds to start here)."""
    home: Path = tmp_path_factory.mktemp("cache-core") / "home"
    home.mkdir()
    with serving(home) as running:
        yield running


@pytest.fixture
def client(core: RunningCore) -> Iterator[Client]:
    with core.client() as c:
        yield c

TIER_KEYS = {"hits", "misses", "hit_rate", "items", "bytes", "budget_bytes", "evictions",
             "promotions", "demotions", "expirations", "invalidations", "errors", "get_p50_us",
             "get_p99_us", "set_p50_us", "set_p99_us"}


def test_the_namespaces_share_each_tier_and_search_keeps_no_cold_pages() -> None:
    for tier in ("hot_bytes", "warm_bytes", "cold_bytes", "hot_floor_bytes"):
        total = {"hot_bytes": 64, "warm_bytes": 512, "cold_bytes": 2048,
                 "hot_floor_bytes": 8}[tier] * MB
        assert total - 3 <= sum(getattr(config, tier) for config in HUB) <= total, tier
    budgets = {config.name: config for config in HUB}
    assert budgets["search"].cold_bytes == 0  # stale at the next memory write
    assert budgets["embeddings"].cold_bytes > budgets["plugin_results"].cold_bytes


def test_stats_report_every_namespace_and_tier(client: Client) -> None:
    stats = client.call("cache.stats")
    assert set(stats) == {"pressure", "hot_bytes", "hot_budget_bytes", "namespaces"}
    assert set(stats["namespaces"]) == {"embeddings", "search", "plugin_results"}
    for space in stats["namespaces"].values():
        assert set(space["tiers"]) == {"hot", "warm", "cold"}
        assert all(set(tier) == TIER_KEYS for tier in space["tiers"].values())
        assert space["tiers"]["warm"]["budget_bytes"] > 0
    assert stats["hot_budget_bytes"] == sum(config.hot_bytes for config in HUB)


def test_clear_pressure_and_shrink(client: Client) -> None:
    assert client.call("cache.clear", {"namespace": "search"}) == {"cleared": 0,
                                                                   "namespaces": ["search"]}
    assert client.call("cache.clear")["namespaces"] == ["embeddings", "search", "plugin_results"]
    with pytest.raises(NotFound, match="no cache namespace 'nope'"):
        client.call("cache.clear", {"namespace": "nope"})
    on = client.call("cache.pressure", {"on": True})
    assert on["pressure"] and on["hot_budget_bytes"] == sum(c.hot_floor_bytes for c in HUB)
    assert client.call("cache.stats")["pressure"] is True
    assert client.call("cache.pressure", {"on": False})["pressure"] is False
    assert client.call("cache.shrink_hot", {"to_bytes": 0}) == {"freed_bytes": 0, "hot_bytes": 0}
    with pytest.raises(InvalidParams) as caught:
        client.call("cache.shrink_hot", {"to_bytes": -1})
    assert caught.value.field == "to_bytes"


def test_methods_are_documented(client: Client) -> None:
    docs = {m["name"]: m["doc"] for m in client.call("system.methods")["items"]}
    for name in ("cache.stats", "cache.clear", "cache.pressure", "cache.shrink_hot"):
        assert docs[name].splitlines()[0].endswith(".")


def run_cli(core: RunningCore, *args: str) -> subprocess.CompletedProcess[str]:
    env = core_env(core.home)
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run([sys.executable, "-m", "pajamas", "cache", *args], env=env,
                          capture_output=True, text=True, timeout=60)


def test_the_cache_commands_talk_to_the_running_core(core: RunningCore) -> None:
    stats = run_cli(core, "stats")
    assert stats.returncode == 0, stats.stderr
    for word in ("embeddings", "search", "plugin_results", "hot", "warm", "cold", "hit %"):
        assert word in stats.stdout
    cleared = run_cli(core, "clear", "search")
    assert cleared.returncode == 0 and cleared.stdout.strip() == "cleared 0 values from search"
    unknown = run_cli(core, "clear", "nope")
    assert unknown.returncode == 2 and "no cache namespace 'nope'" in unknown.stderr
    assert os.path.isdir(core.home / "cache" / "warm" / "search")
