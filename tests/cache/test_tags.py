"""Tag epochs: invalidation in one write, durable, and safe if the store is lost."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pajamas.cache.tags import TagEpochs
from pajamas.errors import InvalidParams


def test_an_invalidated_tag_no_longer_holds(tmp_path: Path) -> None:
    epochs = TagEpochs(tmp_path)
    stamped = epochs.snapshot(["persona:1", "plugin:x", "persona:1"])
    assert [tag for tag, _ in stamped] == ["persona:1", "plugin:x"] and epochs.holds(stamped)
    epochs.invalidate("plugin:x")
    assert not epochs.holds(stamped) and epochs.holds(stamped[:1])
    assert epochs.holds(epochs.snapshot(["plugin:x"])) and epochs.holds(())


def test_epochs_and_invalidations_survive_a_reopen(tmp_path: Path) -> None:
    epochs = TagEpochs(tmp_path)
    before = epochs.snapshot(["a", "b"])
    epochs.invalidate("b")
    epochs.close()
    again = TagEpochs(tmp_path)
    assert again.holds(before[:1]) and not again.holds(before[1:])


def test_a_lost_store_never_revives_an_old_value(tmp_path: Path) -> None:
    epochs = TagEpochs(tmp_path / "tags")
    stamped = epochs.snapshot(["persona:1"])
    epochs.close()
    shutil.rmtree(tmp_path / "tags")
    again = TagEpochs(tmp_path / "tags")
    again.snapshot(["persona:1"])  # the tag met afresh gets a new epoch
    assert not again.holds(stamped)


@pytest.mark.parametrize("tag", ["", 5, None])
def test_tags_are_non_empty_strings(tmp_path: Path, tag: object) -> None:
    with pytest.raises(InvalidParams) as caught:
        TagEpochs(tmp_path).snapshot([tag])  # type: ignore[list-item]
    assert caught.value.field == "tags"


def test_an_invalidation_that_would_turn_nothing_stale_writes_nothing(tmp_path: Path) -> None:
    epochs = TagEpochs(tmp_path)
    old = epochs.snapshot(["persona:1"])
    epochs.invalidate("persona:1")
    stored = _stored(tmp_path, "persona:1")
    epochs.invalidate("persona:1")  # no value recorded its epoch since the last one
    assert _stored(tmp_path, "persona:1") == stored and not epochs.holds(old)
    made = epochs.snapshot(["persona:1"])  # a value recorded now ...
    epochs.invalidate("persona:1")
    assert not epochs.holds(made)  # ... is turned stale by the next invalidation, durably
    assert _stored(tmp_path, "persona:1") != stored
    epochs.close()


def test_a_tag_met_first_by_a_snapshot_is_renewed_by_the_next_invalidation(
        tmp_path: Path) -> None:
    epochs = TagEpochs(tmp_path)
    made = epochs.snapshot(["persona:2"])  # the tag gets its first epoch here
    epochs.invalidate("persona:2")
    assert not epochs.holds(made)
    epochs.close()


def _stored(folder: Path, tag: str) -> tuple[tuple[str, int], ...]:
    """tag's epoch as the store on disk has it (a second reader of the same folder)."""
    reader = TagEpochs(folder)
    try:
        return reader.snapshot([tag])
    finally:
        reader.close()
