"""`started`: the processes a plugin host has started, counted by the core.

The core counts them when each call returns (a plugin that forks, catches the refusal and
returns must not keep what it started beyond its `processes` quota) and before it kills a
host (so that children in sessions of their own die with it).  Zombies are not counted: they
hold nothing but a pid, and their parent or the template reaps them.
"""

from __future__ import annotations

import os
from pathlib import Path

import psutil

from pajamas.plugins.sandbox import cgroup


def started(host: int, group: Path | None, *, exact: bool) -> list[int]:
    """The live processes host started (itself excluded), by pid.

    With its pids cgroup `group` and `exact` (the host is in a user namespace of its own, so
    nothing it starts can leave the cgroup) these are the cgroup's members: one small read.
    Otherwise every process is looked at: the host's descendants, the members of its session
    (its children may have lost their parent) and the cgroup's members.  A process that both
    left the session and lost its parent is found only through the cgroup.
    """
    found = set(cgroup.members(group)) if group is not None else set()
    if not exact or group is None:
        found |= _descendants(host) | _session(host)
    found.discard(host)
    return sorted(pid for pid in found if _live(pid))


def _descendants(host: int) -> set[int]:
    try:
        return {child.pid for child in psutil.Process(host).children(recursive=True)}
    except psutil.Error:
        return set()


def _session(host: int) -> set[int]:
    """The processes of the session the host leads (it called setsid when it confined)."""
    members = set()
    for pid in psutil.pids():
        try:
            if os.getsid(pid) == host:
                members.add(pid)
        except OSError:  # gone, or not ours to look at
            continue
    return members


def _live(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
