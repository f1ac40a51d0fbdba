"""Pure functions' results come from the cache: real hosts, a real registry and tiered cache.

The runtime is built here as the core builds it, with `PluginResults` over a tiered cache in a
temp folder.  The test plugin counts its own calls in its host, so a result that did not come
from a host shows: its count does not move, and neither does the host's call count.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pajamas.cache import wiring
from pajamas.cache.namespaces import PLUGIN_RESULTS, hub_namespaces
from pajamas.cache.tiered import Cache, CacheFolders
from pajamas.errors import Forbidden, PluginFailed
from pajamas.personas.service import PersonaService
from pajamas.plugins.hostapi import HostApi
from pajamas.plugins.manifest import Quotas
from pajamas.plugins.registry import PluginRegistry
from pajamas.plugins.results import NO_USAGE, PluginResults, PureCall
from pajamas.plugins.runtime import Runtime, RuntimeSettings
from pajamas.stages import Slot
from pajamas.store.metadata import MetadataStore

MB = 1024 * 1024
CODE = """\
import itertools

_calls = itertools.count(1)


def roll(sides, hub=None):
    return {"sides": sides, "call": next(_calls)}


def tick():
    return next(_calls)


def flaky(fail_first):
    n = next(_calls)
    if fail_first and n == 1:
        raise ValueError("not yet")
    return n
"""


def manifest(name: str, memory_read: bool = False) -> str:
    return f"""\
[plugin]
name = "{name}"
version = "1.0.0"
description = "Counts its calls."
entry = "main.py"
api = 1

[functions.roll]
description = "Pure, by its manifest."
pure = true

[functions.tick]
description = "Impure: pure is left out."

[functions.flaky]
description = "Pure, and fails its first call."
pure = true

[permissions]
memory_read = {str(memory_read).lower()}
"""


@dataclass
class Hub:
    """A runtime as the core builds it, and what it stands on."""

    runtime: Runtime
    registry: PluginRegistry
    personas: PersonaService
    cache: Cache
    sources: Path
    events: list[tuple[str, Any]] = field(default_factory=list)

    def install(self, name: str, persona: str, *, memory_read: bool = False) -> None:
        folder = self.sources / name
        if not folder.exists():
            folder.mkdir(parents=True)
            (folder / "plugin.toml").write_text(manifest(name, memory_read))
            (folder / "main.py").write_text(CODE)
        self.registry.install(folder)
        self.registry.set_enabled(persona, name, True)

    def call(self, persona: str, name: str, function: str, **args: Any) -> dict[str, Any]:
        return self.runtime.call(persona, name, function, args, None)

    def host_calls(self, persona: str, name: str) -> int:
        items = self.runtime.status(persona)["items"]
        return sum(item["calls"] for item in items if item["name"] == name)

    def figures(self) -> dict[str, Any]:
        return dict(self.cache.stats()["namespaces"][PLUGIN_RESULTS])

    def started(self) -> int:
        return sum(topic == "plugin.started" for topic, _ in self.events)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    home = tmp_path / "home"
    (home / "run").mkdir(parents=True)  # the core's, which hosts hide
    store = MetadataStore.open(home)
    personas = PersonaService(store)
    registry = PluginRegistry(store, home, Quotas(), require_persona=personas.require)
    cache = Cache(hub_namespaces(8 * MB, 32 * MB, 32 * MB, MB), CacheFolders.under(home / "cache"))
    events: list[tuple[str, Any]] = []
    runtime = Runtime(home, registry, personas.require, HostApi(Slot("memory")),
                      publish=lambda topic, data: events.append((topic, data)),
                      settings=RuntimeSettings(idle_s=300.0, max_failures=3, heartbeat_s=2.0,
                                               sample_s=0.1),
                      results=PluginResults(lambda: cache))
    personas.on_delete(runtime.forget_persona)
    try:
        yield Hub(runtime, registry, personas, cache, tmp_path / "sources", events)
    finally:
        runtime.close()
        cache.close()
        store.close()


def test_a_second_pure_call_is_served_from_the_cache(hub: Hub) -> None:
    ada = hub.personas.create("Ada")["id"]
    hub.install("dice", ada)
    first = hub.call(ada, "dice", "roll", sides=6)
    assert first["result"] == {"sides": 6, "call": 1} and first["usage"]["wall_s"] > 0
    again = hub.call(ada, "dice", "roll", sides=6)
    assert again == {"result": {"sides": 6, "call": 1}, "usage": NO_USAGE}
    assert hub.host_calls(ada, "dice") == 1
    assert hub.figures()["hits"] >= 1 and hub.figures()["loads"] == 1

    assert hub.call(ada, "dice", "roll", sides=8)["result"] == {"sides": 8, "call": 2}
    assert hub.host_calls(ada, "dice") == 2

    # A stopped host is not started again for a result the cache holds.
    hub.runtime.stop(ada, "dice", "idle")
    started = hub.started()
    assert hub.call(ada, "dice", "roll", sides=6)["result"] == {"sides": 6, "call": 1}
    assert hub.started() == started
    # ... but the call is still checked: a disabled plugin is refused, cache or not.
    hub.registry.set_enabled(ada, "dice", False)
    with pytest.raises(Forbidden, match="not enabled"):
        hub.call(ada, "dice", "roll", sides=6)


def test_results_are_kept_per_persona(hub: Hub) -> None:
    ada, bob = hub.personas.create("Ada")["id"], hub.personas.create("Bob")["id"]
    hub.install("dice", ada)
    hub.registry.set_enabled(bob, "dice", True)
    assert hub.call(ada, "dice", "roll", sides=6)["result"]["call"] == 1
    assert hub.call(bob, "dice", "roll", sides=6)["result"]["call"] == 1  # its own host ran
    assert hub.host_calls(bob, "dice") == 1


def test_an_impure_function_is_never_cached(hub: Hub) -> None:
    ada = hub.personas.create("Ada")["id"]
    hub.install("dice", ada)
    assert [hub.call(ada, "dice", "tick")["result"] for _ in range(3)] == [1, 2, 3]
    assert hub.host_calls(ada, "dice") == 3
    figures = hub.figures()
    assert figures["items"] == 0 and figures["hits"] == 0 and figures["misses"] == 0


def test_a_failed_call_is_not_cached(hub: Hub) -> None:
    ada = hub.personas.create("Ada")["id"]
    hub.install("dice", ada)
    with pytest.raises(PluginFailed, match="not yet"):
        hub.call(ada, "dice", "flaky", fail_first=True)
    assert hub.call(ada, "dice", "flaky", fail_first=True)["result"] == 2  # ran again
    assert hub.call(ada, "dice", "flaky", fail_first=True)["result"] == 2  # now cached
    assert hub.host_calls(ada, "dice") == 2


def test_a_reinstall_turns_the_results_stale(hub: Hub) -> None:
    ada = hub.personas.create("Ada")["id"]
    hub.install("dice", ada)
    assert hub.call(ada, "dice", "roll", sides=6)["result"]["call"] == 1
    hub.runtime.forget_plugin("dice")  # what plugin.uninstall does, then the registry's part
    hub.registry.uninstall("dice")
    hub.install("dice", ada)  # the same files again
    assert hub.call(ada, "dice", "roll", sides=6)["result"]["call"] == 1  # a new host ran it
    assert hub.host_calls(ada, "dice") == 2  # the count goes on from the old host's
    assert hub.call(ada, "dice", "roll", sides=6)["usage"] == NO_USAGE


def test_a_reinstall_never_meets_old_results_even_unannounced(hub: Hub) -> None:
    ada = hub.personas.create("Ada")["id"]
    hub.install("dice", ada)
    old = hub.registry.release("dice")
    hub.registry.uninstall("dice")  # the runtime is not told: the key changes all the same
    hub.install("dice", ada)
    assert hub.registry.release("dice") != old
    assert hub.registry.release("dice").startswith("1.0.0+")


def test_deleting_a_persona_or_changing_a_reader_s_memory_turns_its_results_stale(
        hub: Hub) -> None:
    ada = hub.personas.create("Ada")["id"]
    hub.install("dice", ada)
    hub.install("reader", ada, memory_read=True)
    assert hub.call(ada, "reader", "roll", sides=6)["result"]["call"] == 1
    assert hub.call(ada, "dice", "roll", sides=6)["result"]["call"] == 1
    wiring.memory_changed(hub.cache, ada)  # Ada's memory changed: a reader may see it
    assert hub.call(ada, "reader", "roll", sides=6)["result"]["call"] == 2
    assert hub.call(ada, "dice", "roll", sides=6)["usage"] == NO_USAGE  # reads no memory

    key = wiring.plugin_result_key(ada, "dice", hub.registry.release("dice"), "roll",
                                   {"sides": 6})
    assert hub.cache.get(PLUGIN_RESULTS, key) == {"sides": 6, "call": 1}
    hub.personas.delete(ada)
    assert hub.cache.get(PLUGIN_RESULTS, key) is None


def test_args_in_any_key_order_are_the_same_call(hub: Hub) -> None:
    ada = hub.personas.create("Ada")["id"]
    hub.install("dice", ada)
    one = hub.runtime.call(ada, "dice", "roll", {"sides": {"a": 1, "b": 2}}, None)
    two = hub.runtime.call(ada, "dice", "roll", {"sides": {"b": 2, "a": 1}}, None)
    assert one["result"] == two["result"] and two["usage"] == NO_USAGE


def test_without_a_cache_every_call_runs() -> None:
    results = PluginResults(lambda: None)  # the cache's start-up stage is not done, or failed
    replies = iter([{"result": 1, "usage": {"wall_s": 0.1}}, {"result": 2, "usage": {}}])
    call = PureCall("p", "dice", "1.0.0+x", "roll", {})
    assert results.call(call, lambda: next(replies))["result"] == 1
    assert results.call(call, lambda: next(replies))["result"] == 2
    results.forget_plugin("dice")  # nothing to drop, and no error
    results.forget_persona("p")
