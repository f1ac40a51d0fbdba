"""Hostile: with `processes = 0`, forks in a loop, catches every refusal and returns normally.

The pattern of a plugin written outside the project: its children sleep on after the call,
so a quota checked only while the call runs would never see them.  Every child names itself
CHILD_NAME (its /proc comm) so a test can look for survivors.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import threading

CHILD_NAME = b"pjs-quiet-child"
PR_SET_NAME = 15
# The children's lifeline: the host holds its write end, so a child lives as long as the host
# (or until it is killed), not for a fixed time.
_LIFE_R, _LIFE_W = os.pipe()


def fork(attempts: int = 16) -> dict[str, object]:
    """Try attempts forks, catching each failure; how many children started, and the errors."""
    started, refused = 0, []
    for _ in range(attempts):
        try:
            pid = os.fork()
        except OSError as exc:
            refused.append(type(exc).__name__)
            continue
        if pid == 0:
            _child()
        started += 1
    return {"started": started, "refused": sorted(set(refused))}


def run_subprocess() -> dict[str, object]:
    """subprocess.run a Python child; how it failed (or that it ran)."""
    try:
        done = subprocess.run([sys.executable, "-c", "print('escaped')"], capture_output=True,
                              check=False, timeout=30)
    except OSError as exc:
        return {"ran": False, "error": type(exc).__name__, "errno": exc.errno}
    return {"ran": True, "stdout": done.stdout.decode()}


def thread() -> str:
    """Start a threading.Thread and join it: threads are not processes."""
    answer: list[str] = []
    worker = threading.Thread(target=lambda: answer.append(f"from {threading.get_ident()}"))
    worker.start()
    worker.join()
    return answer[0]


def _child() -> None:
    try:
        ctypes.CDLL(None).prctl(PR_SET_NAME, CHILD_NAME, 0, 0, 0)
        os.close(_LIFE_W)
        os.read(_LIFE_R, 1)  # EOF once the host, which holds the other end, is gone
    finally:
        os._exit(0)
