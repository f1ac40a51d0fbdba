"""Python's cyclic collector kept off the request path: long-lived objects frozen after heavy work.

The collector's full pass (generation 2) walks every tracked object the core holds: at 10
personas of 10,000 memories, 100-250 ms with the GIL held, on whatever thread allocated last.
In an overload run one such pass fell on the request loop and another on a worker, and every
ping and `busy` reply waited for it (busy p99 20-25 ms; 41 replies over 50 ms).

`settle`, called after heavy one-off work (a table's vectors read in, laid out, released, a
task's end: where the C heap is trimmed), first collects the young generations, so fresh
garbage is not kept, then freezes what is left (`gc.freeze`): the objects that work left
behind are long-lived, and full passes stop walking them.  With it, no full pass ran during
the burst, and no busy reply took over 50 ms (3 full-scale runs; 41 and 47 a run without).

A frozen object that later becomes cyclic garbage is only collected after `refreeze` unfreezes
and collects everything, which the monitor does under memory pressure; acyclic objects are
freed by their reference counts as always.  Freezing is the process's policy, so only a core
in a process of its own turns it on (`enable`); elsewhere `settle` does nothing.
"""

from __future__ import annotations

import gc
import logging
import threading
from typing import Final

log = logging.getLogger(__name__)

YOUNG: Final = 1  # the generations collected before a freeze: 0 and 1
_on = threading.Event()


def enable(on: bool = True) -> None:
    """Let `settle` freeze (a core's process does, at start)."""
    if on:
        _on.set()
    else:
        _on.clear()


def settle(reason: str) -> bool:
    """Collect the young generations, then freeze every object left; False when not enabled.

    It does not count what is frozen: `gc.get_freeze_count` walks the whole frozen list with
    the GIL held, 25 ms at 3 million objects, and in an overload run each count stalled
    every thread, the request loop's pings and `busy` replies with them.
    """
    if not _on.is_set():
        return False
    gc.collect(YOUNG)
    gc.freeze()
    log.debug("objects frozen after %s", reason)
    return True


def refreeze() -> int:
    """Unfreeze, collect every generation, freeze again (under memory pressure, as the `gc`
    shed): how many unreachable objects the collection found."""
    gc.unfreeze()
    collected = gc.collect()
    gc.freeze()
    log.debug("a full collection under memory pressure found %d objects", collected)
    return collected
