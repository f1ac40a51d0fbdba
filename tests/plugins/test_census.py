"""`census.started` finds what a host started without its cgroup: descendants, children in
sessions of their own, orphans left in its session; not zombies (real processes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pajamas.plugins import census
from pajamas.plugins.manifest import Quotas, parse
from pajamas.plugins.supervisor import Host

# A session leader that starts: a sleeper; a sleeper in a session of its own; an orphan left
# in its session (its parent exited); a zombie.  It prints their pids once all are in place.
# Each sleeper waits on a lifeline, a pipe only the leader writes to: it ends when the leader
# does, and the leader when the test closes its stdin (or kills it).
LEADER = """\
import json, os, sys

def sleeper(setsid=False):
    pid = os.fork()
    if pid == 0:
        if setsid:
            os.setsid()
        os.close(life_w)
        os.write(ready_w, b"x")
        os.read(life_r, 1)  # EOF once the leader is gone
        os._exit(0)
    return pid

life_r, life_w = os.pipe()
ready_r, ready_w = os.pipe()
orphan_r, orphan_w = os.pipe()
plain = sleeper()
own_session = sleeper(setsid=True)
middle = os.fork()
if middle == 0:
    os.write(orphan_w, str(sleeper()).encode())
    os._exit(0)
os.waitpid(middle, 0)
orphan = int(os.read(orphan_r, 32))
zombie = os.fork()
if zombie == 0:
    os._exit(0)
os.waitid(os.P_PID, zombie, os.WEXITED | os.WNOWAIT)  # exited, not reaped
for _ in range(3):
    os.read(ready_r, 1)
print(json.dumps({"plain": plain, "own_session": own_session, "orphan": orphan,
                  "zombie": zombie}), flush=True)
sys.stdin.read()  # until the test is done with us
"""


MANIFEST = """\
[plugin]
name = "counted"
version = "1.0.0"
description = "A plugin whose host the census counts."
entry = "main.py"
api = 1

[functions.fork]
description = "Forks."

[quotas]
processes = 2
"""


@pytest.fixture
def leader() -> Iterator[tuple[int, dict[str, int]]]:
    """The leader's pid and its processes'; all killed afterwards."""
    process = subprocess.Popen([sys.executable, "-c", LEADER], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert process.stdout is not None
    pids: dict[str, int] = json.loads(process.stdout.readline())
    try:
        yield process.pid, pids
    finally:
        for pid in (*pids.values(), process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
        process.wait()


def test_without_a_cgroup_every_live_process_the_host_started_is_found(
        leader: tuple[int, dict[str, int]]) -> None:
    host, pids = leader
    found = census.started(host, None, exact=False)
    assert found == sorted([pids["plain"], pids["own_session"], pids["orphan"]]), (found, pids)


def test_exact_without_a_cgroup_still_looks_at_every_process(
        leader: tuple[int, dict[str, int]]) -> None:
    host, pids = leader
    assert census.started(host, None, exact=True) == sorted(
        [pids["plain"], pids["own_session"], pids["orphan"]])


def test_a_host_that_could_not_join_its_cgroup_is_counted_by_its_processes(
        leader: tuple[int, dict[str, int]], tmp_path: Path) -> None:
    """Its cgroup lists none of them: the host is not contained, and every process is found."""
    host, pids = leader
    group = tmp_path / "group"
    group.mkdir()
    (group / "cgroup.procs").write_text("", encoding="ascii")  # a cgroup nobody joined
    manifest = parse(MANIFEST, Quotas())
    applied = {"user_namespace": True, "pids_cgroup": False}
    outside = Host("persona", manifest, tmp_path, pid=host, cgroup=group, applied=applied)
    assert census.started(host, group, exact=outside._contained) == sorted(
        [pids["plain"], pids["own_session"], pids["orphan"]])
    inside = Host("persona", manifest, tmp_path, pid=host, cgroup=group,
                  applied=applied | {"pids_cgroup": True})
    assert inside._contained  # then the cgroup's list is the whole story
