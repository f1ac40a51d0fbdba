"""Damaged stores (a power cut, a bad sector), one at a time, on real cores and real files.

Each test runs one scenario of `pajamas.perf.corruption` (the chaos benchmarks run the same)
and checks the three things the hub owes: the damage is detected (a `store.corrupt` event or a
health check naming it), contained (quarantined or rebuilt; the other personas and the core
keep working) and repaired (no acknowledged memory lost, none twice).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pajamas.perf import corruption
from tests.conftest import exported_model

pytestmark = pytest.mark.usefixtures("model_dir")


def settings() -> dict[str, str]:
    return {"PAJAMAS_DEBUG_METHODS": "1", **exported_model()}


def test_a_damaged_lance_file_fails_its_persona_alone_until_repaired(tmp_path: Path) -> None:
    found = corruption.corrupt_lance(tmp_path, settings())
    assert found.errors["code"] == "damaged"
    assert found.errors["data"]["hint"] == "memory.repair"
    assert "changed on disk" in found.errors["message"]
    assert [e["store"] for e in found.events] == ["memory"]
    assert found.health["checks"]["memory_integrity"]["status"] == "failing"
    assert found.survived and found.others_ok
    # The log: 3 adds since the backup and an edit of a backed-up memory, then a deletion.
    assert found.repair["from"] == {"backup": 4, "log": 4, "journal": 0}
    assert found.repair["deleted"] == 1 and found.repair["restored"] == 6
    assert found.repair["quarantined"] and found.quarantined
    assert (found.acknowledged, found.lost, found.duplicated) == (8, 0, 0)


def test_a_torn_journal_tail_is_cut_off_and_kept_every_whole_record_replayed(
        tmp_path: Path) -> None:
    found = corruption.corrupt_journal_tail(tmp_path, settings())
    assert [e["store"] for e in found.events] == ["memory.journal"]
    assert found.events[0]["quarantined"]
    assert found.health["checks"]["memory_integrity"]["status"] == "degraded"
    assert found.survived and found.others_ok
    assert (found.acknowledged, found.lost, found.duplicated) == (5, 0, 0)
    assert len(found.quarantined) == 1


def test_a_damaged_cold_cache_file_is_a_miss_removed_and_told(tmp_path: Path) -> None:
    found = corruption.corrupt_cold_cache(tmp_path, settings())
    assert found.events and {e["store"] for e in found.events} == {"cache.cold"}
    assert all(e["action"].startswith("removed") for e in found.events)  # then written anew
    assert found.health["checks"]["cache_integrity"]["status"] == "degraded"
    assert found.survived and found.others_ok
    assert (found.lost, found.duplicated) == (0, 0)


def test_a_damaged_warm_cache_is_moved_aside_and_rebuilt(tmp_path: Path) -> None:
    found = corruption.corrupt_warm_cache(tmp_path, settings())
    check = found.health["checks"]["cache_integrity"]
    assert check["status"] == "degraded" and "cache.db" in check["detail"]
    assert found.health["checks"]["startup"]["status"] == "ok"
    assert [name.endswith("cache-warm-embeddings") for name in found.quarantined] == [True]
    assert found.survived and found.others_ok
    assert (found.lost, found.duplicated) == (0, 0)


def test_a_damaged_hub_db_is_salvaged_and_moved_aside(tmp_path: Path) -> None:
    found = corruption.corrupt_hub_db(tmp_path, settings())
    check = found.health["checks"]["metadata_integrity"]
    assert check["status"] == "degraded" and "hub.db" in check["detail"]
    assert [name for name in found.quarantined if name.endswith("-hub.db")]  # with -wal, -shm
    assert found.survived and found.others_ok and not found.errors


def test_an_unreadable_hub_db_leaves_the_core_up_with_an_error_naming_it(
        tmp_path: Path) -> None:
    found = corruption.corrupt_hub_db(tmp_path, settings(), header=True)
    check = found.health["checks"]["metadata_integrity"]
    assert check["status"] == "failing" and "hub.db" in check["detail"]
    assert "metadata" in found.health["checks"]["startup"]["detail"]
    assert found.survived and found.others_ok
    assert found.quarantined == []  # left where it is, for a person to act on
    assert found.errors["code"] in ("busy", "internal")  # personas wait for their stage
