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
    Otherwise every process is looked at (one read of /proc/<pid>/stat each): the host's
    descendants, the members of its session (its children may have lost their parent) and
    the cgroup's members.  A process that both left the session and lost its parent is found
    only through the cgroup.
    """
    table = _table() if not exact or group is None else {}
    found = set(cgroup.members(group)) if group is not None else set()
    found |= _descendants(host, table) | {pid for pid, (_, sid, _) in table.items() if sid == host}
    found.discard(host)
    if table:
        return sorted(pid for pid in found if pid in table and not table[pid][2])
    return sorted(pid for pid in found if _live(pid))


Stat = tuple[int, int, bool]  # parent, session, zombie


def _table() -> dict[int, Stat]:
    """Every process's parent, session and whether it is a zombie, from /proc/<pid>/stat."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                text = stat.read()
        except OSError:  # gone, or not ours to look at
            continue
        # After the command, which may hold spaces and parentheses: state ppid pgrp session.
        fields = text[text.rindex(b")") + 2:].split()
        table[int(name)] = (int(fields[1]), int(fields[3]), fields[0] == b"Z")
    return table


def _descendants(host: int, table: dict[int, Stat]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    found, todo = set(), [host]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _live(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
