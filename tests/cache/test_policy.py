"""S3-FIFO in bytes: who stays, who leaves, and the byte count."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from pajamas.cache.policy import MAX_FREQ, S3Fifo


@dataclass(eq=False)
class Item:
    key: str
    size: int = 10
    freq: int = 0
    in_main: bool = False


def fill(policy: S3Fifo[Item], budget: int, items: list[Item]) -> list[str]:
    """Insert items, evicting to budget as the hot tier does; the evicted keys in order."""
    evicted = []
    for item in items:
        policy.insert(item)
        while policy.nbytes > budget:
            evicted.append(policy.evict(budget).key)
    return evicted


def test_one_hit_wonders_leave_before_an_entry_that_was_read() -> None:
    policy: S3Fifo[Item] = S3Fifo()
    kept = Item("kept")
    fill(policy, 100, [kept])
    kept.freq = 1  # the hot tier's read
    evicted = fill(policy, 100, [Item(f"once-{i}") for i in range(50)])
    assert "kept" not in evicted and kept.in_main
    assert len(evicted) == 41 and all(key.startswith("once-") for key in evicted)


def test_a_key_back_from_the_ghost_queue_enters_main() -> None:
    policy: S3Fifo[Item] = S3Fifo()
    evicted = fill(policy, 100, [Item(f"k{i}") for i in range(11)])
    assert evicted == ["k0"]
    back = Item("k0")
    fill(policy, 1000, [back])
    assert back.in_main


def test_main_gives_entries_read_since_another_round() -> None:
    policy: S3Fifo[Item] = S3Fifo()
    old, young = Item("old"), Item("young")
    fill(policy, 30, [old, young])
    old.freq = young.freq = 1
    assert fill(policy, 30, [Item("x0"), Item("x1")]) == ["x0"]  # both moved on to main
    assert old.in_main and young.in_main
    old.freq = 1  # read again in main
    assert [policy.evict(1000).key for _ in range(2)] == ["young", "old"]


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(1, 50), st.booleans()),
                max_size=200), st.integers(1, 300))
def test_the_byte_count_is_the_sum_of_what_is_held(ops: list[tuple[int, int, bool]],
                                                   budget: int) -> None:
    policy: S3Fifo[Item] = S3Fifo()
    held: dict[str, Item] = {}
    for key, size, read in ops:
        name = f"k{key}"
        if name in held:
            if read:
                held[name].freq = min(MAX_FREQ, held[name].freq + 1)
            else:
                policy.remove(held.pop(name))
            continue
        held[name] = Item(name, size)
        for evicted in fill(policy, budget, [held[name]]):
            del held[evicted]
        assert policy.nbytes == sum(item.size for item in held.values()) <= budget
        assert len(policy) == len(held) and {i.key for i in policy} == set(held)
