"""Thread priorities: the request loop runs above the rest of the core (Linux)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pajamas.rpc.priority import WORK_NICE
from tests.conftest import HELD_S, RunningCore

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="threads have a nice value of their own on Linux only")

# A process with a loop thread and two others, one started before all_but and one after by the
# thread that called it; prints each one's nice.
THREADS = """
import json, os, threading
from pajamas.rpc import priority
ready, done = threading.Event(), threading.Event()
ids = {}
def park(name):
    ids[name] = threading.get_native_id()
    ready.set()
    done.wait()
loop = threading.Thread(target=park, args=("loop",)); loop.start(); ready.wait(); ready.clear()
other = threading.Thread(target=park, args=("other",)); other.start(); ready.wait(); ready.clear()
lowered = priority.all_but(ids["loop"])
later = threading.Thread(target=park, args=("later",)); later.start(); ready.wait()
ids["main"] = threading.get_native_id()
print(json.dumps({"lowered": lowered, **{n: os.getpriority(os.PRIO_PROCESS, t)
                                          for n, t in ids.items()}}))
done.set()
"""


def test_all_but_the_loop_are_lowered_and_what_they_start_inherits_it() -> None:
    out = subprocess.run([sys.executable, "-c", THREADS], capture_output=True, text=True,
                         check=True, timeout=60)
    nice = json.loads(out.stdout)
    base = os.getpriority(os.PRIO_PROCESS, 0)
    assert nice["loop"] == base
    assert nice["other"] == nice["main"] == nice["later"] == min(base + WORK_NICE, 19)
    assert nice["lowered"] == 2  # main and other (zmq has no threads in that process)


def _threads(pid: int) -> list[tuple[str, int]]:
    """(name, nice) of each thread of process pid."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        stat = (task / "stat").read_text()
        fields = stat[stat.rindex(")") + 2:].split()
        found.append((stat[stat.index("(") + 1:stat.rindex(")")], int(fields[16])))
    return found


def test_a_core_runs_only_its_loop_and_zmq_at_its_own_priority(core: RunningCore) -> None:
    with core.client() as client:
        client.submit("debug.sleep", {"seconds": HELD_S})  # a worker thread exists
        assert client.call("system.ping")["pong"] is True
        threads = _threads(core.process.pid)
    base = os.getpriority(os.PRIO_PROCESS, 0)  # the core inherits the test's
    above = [name for name, nice in threads if nice == base and not name.startswith("ZMQbg/")]
    assert len(above) == 1, threads  # the loop
    assert all(nice in (base, min(base + WORK_NICE, 19)) for _, nice in threads), threads
    assert sum(nice > base for _, nice in threads) >= 3, threads  # main, stages, a worker
