"""Hostile: starts processes until it is stopped; children leave the process group.

Every child names itself CHILD_NAME (its /proc comm) so a test can look for survivors.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import time

CHILD_NAME = b"pjs-bomb-child"
PR_SET_NAME = 15


def fork() -> int:
    """Fork children that call setsid() and sleep, until fork fails; re-raise that failure."""
    children = 0
    while True:
        pid = os.fork()
        if pid == 0:
            _child()
        children += 1
    return children


def spawn() -> int:
    """Start sleeping Python subprocesses (in sessions of their own), forever."""
    children = []
    code = ("import ctypes, time; ctypes.CDLL(None).prctl(15, b'pjs-bomb-child', 0, 0, 0); "
            "time.sleep(120)")
    while True:
        children.append(subprocess.Popen([sys.executable, "-c", code],
                                         start_new_session=True))
    return len(children)


def _child() -> None:
    try:
        os.setsid()
        ctypes.CDLL(None).prctl(PR_SET_NAME, CHILD_NAME, 0, 0, 0)
        time.sleep(120)
    finally:
        os._exit(0)
