"""Tasks through a real core: task.* and perf.* methods, events, cancellation, the CLI."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from pajamas.errors import Conflict, InvalidParams, NotFound
from pajamas.rpc.client import Client, Subscriber
from pajamas.rpc.protocol import Event
from tests.conftest import PATIENCE_S, RunningCore, core_env, start, stop

QUICK_RUN = {"suite": "quick", "only": ["monitor.leak_detect"]}


@pytest.fixture(scope="module")
def task_core(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCore]:
    home = tmp_path_factory.mktemp("tasks") / "home"
    home.mkdir()
    running = start(home)
    yield running
    assert stop(running.process) == 0


@pytest.fixture
def tasks(task_core: RunningCore) -> Iterator[Client]:
    with task_core.client() as c:
        yield c


def wait_done(client: Client, task_id: str, timeout: float = PATIENCE_S) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view: dict[str, Any] = client.call("task.get", {"id": task_id})
        if view["state"] in ("done", "failed", "cancelled"):
            return view
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} did not finish")


def events_until_done(events: Subscriber, task_id: str) -> list[Event]:
    """The task's events, up to and with its task.done (which is published last)."""
    seen: list[Event] = []
    deadline = time.monotonic() + PATIENCE_S
    while not seen or seen[-1].topic != "task.done":
        event = events.receive(timeout=max(0.0, deadline - time.monotonic()))
        assert event is not None, f"no task.done for {task_id}; got {seen}"
        if event.data.get("id") == task_id:
            seen.append(event)
    return seen


def test_unknown_tasks_and_runs_are_not_found(tasks: Client) -> None:
    with pytest.raises(NotFound):
        tasks.call("task.cancel", {"id": "perf-00000000"})
    with pytest.raises(NotFound):
        tasks.call("task.get", {"id": "perf-00000000"})
    with pytest.raises(NotFound, match="no benchmark matches 'nope'"):
        tasks.call("perf.run", {"only": ["nope"]})
    with pytest.raises(NotFound):
        tasks.call("perf.results", {"run": "20990101T000000Z-abcdef"})
    with pytest.raises(InvalidParams) as bad:
        tasks.call("perf.results", {"run": "../../etc/passwd"})
    assert bad.value.field == "run"
    with pytest.raises(InvalidParams) as limit:
        tasks.call("task.list", {"limit": 0})
    assert limit.value.field == "limit"


def test_a_perf_run_is_a_task_with_progress_events_and_saved_results(
        task_core: RunningCore, tasks: Client) -> None:
    events = task_core.subscribe("task.")
    try:
        task_id = tasks.call("perf.run", QUICK_RUN)["task"]
        done = wait_done(tasks, task_id)
        seen = events_until_done(events, task_id)
    finally:
        events.close()
    assert done["state"] == "done" and done["kind"] == "perf" and done["progress"] == 1.0
    assert done["result"]["passed"] + done["result"]["failed"] == 1
    messages = [e.data["message"] for e in seen if e.topic == "task.progress"]
    assert "running monitor.leak_detect" in messages
    assert [e.topic for e in seen][-1] == "task.done"
    run = tasks.call("perf.results", {"run": done["result"]["run_id"]})
    assert [b["name"] for b in run["benchmarks"]] == ["monitor.leak_detect"]
    assert tasks.call("perf.results")["run_id"] == run["run_id"]  # the latest by default
    listed = tasks.call("task.list", {"kind": "perf", "state": "done"})
    assert task_id in [t["id"] for t in listed["items"]]
    runs = tasks.call("perf.runs", {"limit": 1})
    assert runs["total"] >= 1 and len(runs["items"]) == 1
    newest = runs["items"][0]
    assert newest["run_id"] == run["run_id"] and newest["benchmarks"] == ["monitor.leak_detect"]
    assert newest["passed"] + newest["failed"] == 1 and newest["not_run"] == 0


def test_perf_list_names_the_benchmarks_with_their_targets(tasks: Client) -> None:
    listed = tasks.call("perf.list")
    by_name = {b["name"]: b for b in listed["items"]}
    assert listed["total"] == len(listed["items"]) and "rpc.roundtrip" in by_name
    roundtrip = by_name["rpc.roundtrip"]
    assert roundtrip["unit"] == "µs" and roundtrip["description"]
    assert {"stat": "p50", "op": "<=", "value": 150}.items() <= roundtrip["targets"][0].items()
    with pytest.raises(InvalidParams) as bad:
        tasks.call("perf.runs", {"limit": 0})
    assert bad.value.field == "limit"


def test_a_second_run_conflicts_and_a_cancelled_run_saves_nothing(
        task_core: RunningCore, tasks: Client) -> None:
    runs = task_core.home / "perf" / "runs"
    before = len(list(runs.glob("*.json")))
    two = {"suite": "quick", "only": ["monitor.leak_false_alarms", "monitor.leak_detect"]}
    task_id = tasks.call("perf.run", two)["task"]
    with pytest.raises(Conflict, match=task_id):
        tasks.call("perf.run", QUICK_RUN)
    assert tasks.call("task.cancel", {"id": task_id}) == {"cancelled": True}
    view = wait_done(tasks, task_id)
    assert view["state"] == "cancelled" and view["cancel_requested"] is True
    assert len(list(runs.glob("*.json"))) == before
    assert tasks.call("task.cancel", {"id": task_id}) == {"cancelled": False}


def test_the_cli_follows_a_perf_task_and_lists_tasks(task_core: RunningCore) -> None:
    env = core_env(task_core.home)
    started = subprocess.run([sys.executable, "-m", "pajamas", "perf", "start", "--quick",
                              "--only", "monitor.leak_detect"], env=env, capture_output=True,
                             text=True, timeout=120)
    assert started.returncode == 0, started.stderr
    assert "monitor.leak_detect" in started.stdout and "saved" in started.stdout
    listing = subprocess.run([sys.executable, "-m", "pajamas", "task", "list", "--state", "done"],
                             env=env, capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0 and "perf run (quick): monitor.leak_detect" in listing.stdout
    snapshot = subprocess.run([sys.executable, "-m", "pajamas", "monitor", "snapshot"], env=env,
                              capture_output=True, text=True, timeout=60)
    assert snapshot.returncode == 0 and "core" in snapshot.stdout
    assert "requests:" in snapshot.stdout
