"""Thread priorities: the request loop runs before the work it hands out (Linux only).

On a machine whose cores are all taken by workers, LanceDB, the embedding model and plugin
hosts, the loop that answers pings and `busy` waits for a core like every other thread.
Linux gives each thread its own nice value, inherited by the threads and processes it
starts, and raising one's own needs no privilege (lowering it back does).  So the core keeps
the loop and zmq's I/O threads at the nice it started with and raises every other thread's:
when both wait for a core, the loop runs first.  Where threads have no nice of their own, or
a sandbox forbids it, nothing changes and the loop just waits its turn.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

WORK_NICE: Final = 5  # how much lower than the loop the rest of the core runs
MAX_NICE: Final = 19
ZMQ_THREADS: Final = ("ZMQbg/",)  # libzmq's I/O and reaper threads carry every message
_TASKS: Final = Path("/proc/self/task")


def below_the_loop() -> None:
    """Run the calling thread, and the threads and processes it starts, `WORK_NICE` lower than
    the process's own nice (a worker's, started by the loop)."""
    if sys.platform == "linux":
        _lower(threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, 0) + WORK_NICE)


def all_but(loop: int) -> int:
    """Lower every thread of this process but the loop and zmq's to `WORK_NICE` below the
    loop, the calling thread too, so that what it starts later inherits it; how many."""
    if sys.platform != "linux":
        return 0
    to = os.getpriority(os.PRIO_PROCESS, loop) + WORK_NICE
    lowered = 0
    for task in _TASKS.iterdir():
        tid = int(task.name)
        if tid != loop and not _thread_name(task).startswith(ZMQ_THREADS):
            lowered += _lower(tid, to)
    return lowered


def _lower(tid: int, to: int) -> bool:
    """Set thread tid's nice to `to` unless it is that low already; False if it could not."""
    try:
        if os.getpriority(os.PRIO_PROCESS, tid) < to:
            os.setpriority(os.PRIO_PROCESS, tid, min(to, MAX_NICE))
    except OSError as exc:  # a sandbox that forbids it, or a thread that just ended
        log.debug("could not lower thread %d's priority: %s", tid, exc)
        return False
    return True


def _thread_name(task: Path) -> str:
    try:
        return (task / "comm").read_text(encoding="utf-8").strip()
    except OSError:  # the thread ended meanwhile
        return ""
