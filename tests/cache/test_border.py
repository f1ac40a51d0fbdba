"""The diskcache border: its failures become hub errors that say where and what."""

from __future__ import annotations

import sqlite3

import diskcache
import pytest

from pajamas.borders import diskcache_errors
from pajamas.errors import Busy, DiskFull, HubError, Internal


@pytest.mark.parametrize(("raised", "expected"), [
    (diskcache.Timeout("locked"), Busy),
    (sqlite3.OperationalError("database disk image is malformed"), Internal),
    (sqlite3.DatabaseError("file is not a database"), Internal),
])
def test_failures_map_onto_the_error_tree(raised: Exception, expected: type[HubError]) -> None:
    with pytest.raises(expected) as caught, diskcache_errors("writing", "/home/u/cache/warm"):
        raise raised
    assert "/home/u/cache/warm" in caught.value.message and "writing" in caught.value.message
    assert caught.value.data["folder"] == "/home/u/cache/warm"
    assert caught.value.__cause__ is raised


@pytest.mark.parametrize("raised", [
    OSError(28, "No space left on device"),
    sqlite3.OperationalError("database or disk is full"),
])
def test_no_space_is_disk_full_naming_the_filesystem(raised: Exception, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DiskFull) as caught, diskcache_errors("writing", tmp_path / "warm"):
        raise raised
    assert caught.value.code == "disk_full" and caught.value.__cause__ is raised
    assert "free space on /" in caught.value.message and "retry" in caught.value.message
    assert caught.value.data["path"] == str(tmp_path / "warm")


def test_other_exceptions_pass_through() -> None:
    with pytest.raises(KeyError), diskcache_errors("reading", "x"):
        raise KeyError("not ours")


def test_a_real_damaged_database_becomes_internal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pajamas.cache.stats import TierStats
    from pajamas.cache.warm import WarmTier

    (tmp_path / "cache.db").write_bytes(b"this is not an SQLite database" * 100)
    with pytest.raises(Internal, match="cache clear"):
        WarmTier(tmp_path, 1024, TierStats())
