"""`PluginRegistry` on a real hub.db: paging, enablings of deleted personas, verification."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pajamas.errors import InvalidParams, NotFound, PluginModified
from pajamas.personas.service import PersonaService
from pajamas.plugins.manifest import Quotas
from pajamas.plugins.registry import PluginRegistry
from pajamas.store.metadata import MetadataStore
from tests.plugins.conftest import write_plugin


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MetadataStore]:
    opened = MetadataStore.open(tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def personas(store: MetadataStore) -> PersonaService:
    return PersonaService(store)


@pytest.fixture
def registry(store: MetadataStore, personas: PersonaService, tmp_path: Path) -> PluginRegistry:
    return PluginRegistry(store, tmp_path / "home", Quotas(), require_persona=personas.require,
                          clock=lambda: 1234.5)


def test_every_page_of_many_plugins_is_in_name_order(registry: PluginRegistry,
                                                     tmp_path: Path) -> None:
    names = [f"p-{i:03d}" for i in range(45)]
    for name in reversed(names):
        registry.install(write_plugin(tmp_path / "src" / name, name, f"number {name[2:]}"))
    pages = [registry.list(offset=offset, limit=10) for offset in range(0, 50, 10)]
    assert all(page["total"] == 45 for page in pages)
    assert [p["name"] for page in pages for p in page["items"]] == names
    assert [p["name"] for p in registry.list(query="number 01")["items"]] == [
        f"p-{i:03d}" for i in range(10, 20)]
    assert registry.get("p-000")["installed_at"] == 1234.5


def test_deleting_a_persona_drops_its_enablings(registry: PluginRegistry,
                                                personas: PersonaService,
                                                tmp_path: Path) -> None:
    registry.install(write_plugin(tmp_path / "src", "demo"))
    ada = personas.create("Ada")["id"]
    registry.set_enabled(ada, "demo", True)
    assert registry.enabled(ada) == ["demo"]
    personas.delete(ada)
    assert registry.enabled(ada) == []
    with pytest.raises(NotFound):
        registry.set_enabled(ada, "demo", True)


def test_a_deleted_file_fails_verification(registry: PluginRegistry, tmp_path: Path) -> None:
    registry.install(write_plugin(tmp_path / "src", "demo"))
    assert registry.verify("demo").name == "demo"
    (registry.path("demo", "1.0.0") / "main.py").unlink()
    with pytest.raises(PluginModified, match=r"missing: main\.py"):
        registry.verify("demo")


def test_a_failed_install_leaves_nothing_behind(registry: PluginRegistry,
                                                tmp_path: Path) -> None:
    folder = write_plugin(tmp_path / "src", "demo")
    (folder / "plugin.toml").write_text("[plugin]\nname = 'demo'\n")
    with pytest.raises(InvalidParams, match=r"plugin\.toml"):
        registry.install(folder)
    assert registry.list()["total"] == 0
    assert not [p for p in registry.folder.rglob("*") if p.is_file()]
