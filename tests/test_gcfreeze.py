"""Freezing long-lived objects out of the cyclic collector's full passes, and shedding them."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from pajamas import gcfreeze, heap


class Node:
    """A weakly referenceable object that can sit in a cycle."""

    other: Node | None = None


@pytest.fixture
def enabled() -> Iterator[None]:
    gcfreeze.enable()
    yield
    gcfreeze.enable(False)
    gc.unfreeze()
    gc.collect()


def _garbage_cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_settle_does_nothing_unless_enabled() -> None:
    assert not gcfreeze.settle("a test")
    assert gc.get_freeze_count() == 0


def test_what_the_work_left_is_frozen_and_fresh_garbage_is_not(enabled: None) -> None:
    kept = [Node() for _ in range(50_000)]  # what heavy work leaves behind
    dropped = _garbage_cycle()  # garbage it made on the way, young
    assert gcfreeze.settle("a test")
    assert gc.get_freeze_count() >= len(kept)
    assert dropped() is None  # collected before the freeze, not kept forever
    gc.collect()
    assert gc.get_freeze_count() >= len(kept)  # a full pass no longer walks them


def test_a_frozen_cycle_that_becomes_garbage_is_freed_by_refreezing(enabled: None) -> None:
    a = Node()
    a.other = Node()
    a.other.other = a
    gcfreeze.settle("a test")
    gone = weakref.ref(a)
    del a
    gc.collect()
    assert gone() is not None  # frozen: full passes do not see it
    assert gcfreeze.refreeze() >= 2
    assert gone() is None
    assert gc.get_freeze_count() > 0  # frozen again after the collection


def test_heavy_work_trims_and_settles(enabled: None) -> None:
    before = gc.get_freeze_count()
    kept = [Node() for _ in range(10_000)]
    heap.after_work("a test")
    assert gc.get_freeze_count() >= before + len(kept)
