"""The heap tuning: arenas capped and trims after tasks in a real core; `trim` and `shed`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import psutil

from pajamas import heap
from pajamas.rpc.client import Client
from tests.conftest import RunningCore, serving, start, stop

HEAP_SPAN: Final = 64 * 1024 * 1024  # a glibc arena's heap: this size, at this alignment
MB: Final = 1024 * 1024


def glibc_heaps(pid: int) -> int:
    """How many heaps of glibc's extra arenas the process has mapped (from /proc/pid/maps).

    glibc maps each as 64 MB of anonymous memory aligned to 64 MB: the part in use read-write,
    the rest inaccessible.
    """
    maps = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split()
        start, end = (int(edge, 16) for edge in fields[0].split("-"))
        maps.append((start, end, fields[1], len(fields) > 5))
    count = 0
    for (start, end, perms, named), after in zip(maps, [*maps[1:], None], strict=True):
        if named or perms != "rw-p" or start % HEAP_SPAN:
            continue
        reserved = after is not None and after[0] == end and after[2] == "---p" and not after[3]
        span = (after[1] if after is not None and reserved else end) - start
        count += span == HEAP_SPAN
    return count


def test_a_core_keeps_one_extra_arena(home: Path) -> None:
    # Without the cap this core maps six: each thread that mallocs gets its own arena.
    with serving(home) as core, core.client() as client:
        busy_threads(client)
        assert glibc_heaps(core.process.pid) == heap.ARENAS - 1


def test_a_core_trims_its_heap_when_a_task_ends(home: Path) -> None:
    with serving_debug_log(home) as core, core.client() as client:
        task_id = client.call("perf.run", {"suite": "quick", "only": ["monitor.leak_detect"]})[
            "task"]
        lines = wait_for_line(home / "logs" / "core.log", "heap trimmed after task.done")
        assert client.call("task.get", {"id": task_id})["state"] == "done"
        assert lines


@contextmanager
def serving_debug_log(home: Path) -> Iterator[RunningCore]:
    """A real core logging at debug level, stopped (exit 0 checked) at the end."""
    running = start(home, PAJAMAS_LOG_LEVEL="debug")
    yield running
    assert stop(running.process) == 0


def wait_for_line(log: Path, text: str, timeout: float = 60.0) -> list[str]:
    """The log's lines containing text, once there is one (an AssertionError if none comes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [line for line in log.read_text().splitlines() if text in line]
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no {text!r} in {log} within {timeout:g} s")


def busy_threads(client: Client) -> None:
    """Make the core's threads allocate: requests on the workers, events, the monitor."""
    values: list[Any] = []

    def ask() -> None:
        values.append(client.call("debug.echo", {"value": "x" * 20_000})["value"])

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.call("system.health")
    assert len(values) == 4


def test_trim_hands_freed_memory_back() -> None:
    process = psutil.Process()
    with freed_blocks():
        before = process.memory_info().rss
        assert heap.trim("a test") is True
        assert before - process.memory_info().rss > 150 * MB


def test_a_shed_says_how_much_it_gave_back() -> None:
    with freed_blocks():
        assert heap.shed() > 150 * MB


@contextmanager
def freed_blocks() -> Iterator[None]:
    """~200 MB of malloc freed inside the heap, where glibc's free() alone keeps it."""
    blocks = [bytes([n % 256]) * 4096 for n in range(50_000)]  # no temporary blocks between
    pin = bytes(6000)  # above the freed blocks: glibc trims the heap's top only down to here
    del blocks
    yield
    assert len(pin) == 6000


def test_trimming_publishes_every_event_first() -> None:
    sent: list[tuple[str, Any]] = []
    publish = heap.trimming(lambda topic, data: sent.append((topic, data)))
    publish("task.progress", {"id": "t1"})
    publish("task.done", {"id": "t1"})
    assert sent == [("task.progress", {"id": "t1"}), ("task.done", {"id": "t1"})]
