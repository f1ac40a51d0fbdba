"""Hostile: with `processes = 2`, forks 5 sleepers (each leaving the process group), catching
every refusal, and returns normally with the count.

Every child names itself CHILD_NAME (its /proc comm) so a test can look for survivors.
"""

from __future__ import annotations

import ctypes
import os
from typing import Any

CHILD_NAME = b"pjs-few-child"
PR_SET_NAME = 15
# The children's lifeline: the host holds its write end, so a child lives as long as the host
# (or until it is killed), not for a fixed time.
_LIFE_R, _LIFE_W = os.pipe()


def fork(children: int = 5) -> dict[str, Any]:
    """Fork children sleepers in sessions of their own, catching failures; how many started,
    and the errors of the forks refused."""
    started, refused = 0, []
    for _ in range(children):
        try:
            pid = os.fork()
        except OSError as exc:
            refused.append(f"{type(exc).__name__}: {exc}")
            continue
        if pid == 0:
            _child()
        started += 1
    return {"started": started, "refused": refused}


def _child() -> None:
    try:
        os.setsid()
        ctypes.CDLL(None).prctl(PR_SET_NAME, CHILD_NAME, 0, 0, 0)
        os.close(_LIFE_W)
        os.read(_LIFE_R, 1)  # EOF once the host, which holds the other end, is gone
    finally:
        os._exit(0)
