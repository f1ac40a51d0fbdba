"""The metadata database: migrated on open, WAL, and reopened unchanged."""

from __future__ import annotations

from pathlib import Path

from pajamas.personas.service import PersonaService
from pajamas.store.metadata import MIGRATIONS, MetadataStore


def test_a_new_database_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    store = MetadataStore.open(tmp_path)
    assert store.version == len(MIGRATIONS)
    assert store.query_one("PRAGMA journal_mode")[0] == "wal"
    store.close()


def test_reopening_keeps_the_data_and_runs_no_migration_twice(tmp_path: Path) -> None:
    store = MetadataStore.open(tmp_path)
    PersonaService(store).create("Ada")
    store.close()
    again = MetadataStore.open(tmp_path)
    assert [p["name"] for p in PersonaService(again).list()["items"]] == ["Ada"]
    assert again.version == len(MIGRATIONS)
    again.close()
