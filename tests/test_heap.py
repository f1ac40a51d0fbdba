"""The heap tuning: arenas capped and trims after tasks in a real core; `trim` and `shed`."""

from __future__ import annotations

import struct
import subprocess
import sys
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

HEAP_SPAN: Final = 64 * 1024 * 1024  # a glibc arena's heap: at most this size, at this alignment
MB: Final = 1024 * 1024


def glibc_arenas(pid: int) -> int:
    """How many extra glibc malloc arenas the process has (from /proc/pid/maps and its memory).

    glibc maps each extra arena's heaps as 64 MB of anonymous memory aligned to 64 MB, the
    part in use read-write.  A heap opens with its `heap_info`: the arena's address, the
    previous heap of the same arena.  An arena's first heap has no previous one and holds the
    arena itself, right after that header.  Counting only those heaps leaves out an arena's
    further heaps (one that outgrew 64 MB) and other mappings aligned the same way.
    """
    count = 0
    with open(f"/proc/{pid}/mem", "rb") as memory:
        for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
            fields = line.split()
            start = int(fields[0].split("-")[0], 16)
            if len(fields) > 5 or fields[1] != "rw-p" or start % HEAP_SPAN:
                continue
            memory.seek(start)
            arena, previous = struct.unpack("PP", memory.read(struct.calcsize("PP")))
            header = struct.calcsize("PPNNN")  # heap_info: ar_ptr, prev, three sizes
            count += previous == 0 and start + header <= arena < start + 4 * header
    return count


def test_a_core_keeps_one_extra_arena(home: Path) -> None:
    # Without the cap this core maps six: each thread that mallocs gets its own arena.
    with serving(home) as core, core.client() as client:
        busy_threads(client)
        assert glibc_arenas(core.process.pid) == heap.ARENAS - 1


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


# In a process of its own: free a 20 MiB block (glibc then raises the size from which it maps
# blocks on their own to 20 MiB, unless it is fixed), then tell whether an 8 MiB block is mapped
# on its own (glibc's IS_MMAPPED bit in the size word before the block).
MAPPED_PROBE: Final = """
import ctypes, sys
from pajamas import heap
if sys.argv[1] == "tuned":
    assert heap.tune()
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.free(libc.malloc(20 << 20))
block = libc.malloc(8 << 20)
print(bool(ctypes.c_size_t.from_address(block - ctypes.sizeof(ctypes.c_size_t)).value & 2))
"""


def test_tuned_large_blocks_are_mapped_on_their_own_and_given_back_when_freed() -> None:
    def mapped(how: str) -> bool:
        said = subprocess.run([sys.executable, "-c", MAPPED_PROBE, how], capture_output=True,
                              text=True, check=True).stdout.strip()
        return said == "True"

    assert mapped("tuned")
    assert not mapped("as glibc starts")  # the block came from an arena, kept after free


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
