"""The task manager with real runner threads: priority, bounds, progress, cancellation, errors."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from pajamas.errors import InvalidParams, NotFound
from pajamas.tasks.manager import TaskManager
from pajamas.tasks.task import Task

WAIT_S = 10.0


class Events:
    """Collects published events; thread-safe."""

    def __init__(self) -> None:
        self.items: list[tuple[str, Any]] = []
        self._lock = threading.Lock()

    def __call__(self, topic: str, data: Any) -> None:
        with self._lock:
            self.items.append((topic, data))

    def of(self, topic: str, task_id: str) -> list[Any]:
        with self._lock:
            return [d for t, d in self.items if t == topic and d["id"] == task_id]


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def manager(events: Events) -> Iterator[TaskManager]:
    tasks = TaskManager(events, max_running=1, keep_finished=5, progress_interval_s=0.0)
    tasks.start()
    yield tasks
    tasks.stop(WAIT_S)


def gate() -> tuple[threading.Event, threading.Event, Any]:
    """Work that says when it runs, then holds its runner until released."""
    started, release = threading.Event(), threading.Event()

    def work(task: Task) -> str:
        started.set()
        while not release.wait(0.01):
            task.check_cancelled()
        return "released"
    return started, release, work


def test_work_runs_reports_progress_and_keeps_its_result(manager: TaskManager,
                                                         events: Events) -> None:
    def work(task: Task) -> dict[str, int]:
        for i in range(4):
            task.progress(i / 4, f"step {i}")
        return {"steps": 4}

    task = manager.submit("demo", work, title="a demo")
    view = manager.wait(task.id, WAIT_S)
    assert view["state"] == "done" and view["result"] == {"steps": 4}
    assert view["progress"] == 1.0 and view["title"] == "a demo" and view["error"] is None
    messages = [e["message"] for e in events.of("task.progress", task.id)]
    assert [m for m in messages if m.startswith("step")] == ["step 0", "step 1", "step 2", "step 3"]
    (done,) = events.of("task.done", task.id)
    assert done["state"] == "done" and done["result"] == {"steps": 4}


def test_one_runner_runs_the_highest_priority_first(manager: TaskManager) -> None:
    started, release, hold = gate()
    order: list[str] = []
    blocker = manager.submit("hold", hold)
    assert started.wait(WAIT_S)
    low = manager.submit("low", lambda task: order.append("low"), priority=0)
    high = manager.submit("high", lambda task: order.append("high"), priority=5)
    assert manager.get(low.id)["state"] == "queued"  # max_running=1: they wait
    assert manager.counts() == {"queued": 2, "running": 1}
    release.set()
    for task in (blocker, low, high):
        manager.wait(task.id, WAIT_S)
    assert order == ["high", "low"]


def test_cancelling_running_work_stops_it_at_its_next_safe_point(manager: TaskManager,
                                                                  events: Events) -> None:
    started, reached = threading.Event(), []

    def endless(task: Task) -> None:
        started.set()
        n = 0
        while True:
            task.progress(None, f"step {n}")  # a safe point
            reached.append(n)
            n += 1
            task.sleep(0.01)

    task = manager.submit("endless", endless)
    assert started.wait(WAIT_S)
    assert manager.cancel(task.id) is True
    view = manager.wait(task.id, WAIT_S)
    count = len(reached)
    assert view["state"] == "cancelled" and view["cancel_requested"] is True
    assert len(reached) == count  # it really stopped: nothing ran after the cancellation
    assert events.of("task.done", task.id)[0]["state"] == "cancelled"
    assert manager.cancel(task.id) is False  # already finished


def test_a_queued_task_is_cancelled_without_running(manager: TaskManager) -> None:
    started, release, hold = gate()
    ran: list[str] = []
    blocker = manager.submit("hold", hold)
    assert started.wait(WAIT_S)
    queued = manager.submit("never", lambda task: ran.append("ran"))
    assert manager.cancel(queued.id) is True
    assert manager.get(queued.id)["state"] == "cancelled"
    release.set()
    manager.wait(blocker.id, WAIT_S)
    assert ran == []


def test_work_catching_exception_does_not_swallow_cancellation(manager: TaskManager) -> None:
    started = threading.Event()

    def careless(task: Task) -> None:
        started.set()
        while True:
            with contextlib.suppress(Exception):  # the kind of guard work often has
                task.sleep(0.01)

    task = manager.submit("careless", careless)
    assert started.wait(WAIT_S)
    manager.cancel(task.id)
    assert manager.wait(task.id, WAIT_S)["state"] == "cancelled"


def test_a_failed_task_keeps_its_error(manager: TaskManager) -> None:
    def broken(task: Task) -> None:
        raise ValueError("the index is corrupt")

    def refused(task: Task) -> None:
        raise NotFound("no persona 'x'", persona="x")

    failed = manager.wait(manager.submit("broken", broken).id, WAIT_S)
    assert failed["state"] == "failed" and failed["error"] is not None
    assert failed["error"]["code"] == "internal"
    assert "ValueError: the index is corrupt" in failed["error"]["message"]
    hub = manager.wait(manager.submit("refused", refused).id, WAIT_S)
    assert hub["error"] == {"code": "not_found", "message": "no persona 'x'",
                            "data": {"persona": "x"}}


def test_the_list_is_paginated_newest_first_and_bounded(manager: TaskManager) -> None:
    ids = [manager.submit("quick", lambda task: None).id for _ in range(8)]
    for task_id in ids[-5:]:
        manager.wait(task_id, WAIT_S)
    page = manager.list(offset=1, limit=2)
    assert page["total"] == 5  # keep_finished=5: the 3 oldest finished tasks are forgotten
    assert [t["id"] for t in page["items"]] == [ids[-2], ids[-3]]
    assert manager.list(state="failed")["total"] == 0
    with pytest.raises(NotFound, match="keeps the last 5 finished tasks") as forgotten:
        manager.get(ids[0])
    assert forgotten.value.data["hint"] == "task.list"


def test_unknown_ids_and_bad_kinds_are_refused(manager: TaskManager) -> None:
    with pytest.raises(NotFound):
        manager.cancel("nope-1234")
    with pytest.raises(InvalidParams):
        manager.submit("Bad Kind!", lambda task: None)


def test_stop_cancels_running_work_and_refuses_new(events: Events) -> None:
    tasks = TaskManager(events, max_running=2)
    tasks.start()
    started, _, hold = gate()
    running = tasks.submit("hold", hold)
    assert started.wait(WAIT_S)
    tasks.stop(WAIT_S)
    assert tasks.get(running.id)["state"] == "cancelled"
    with pytest.raises(Exception, match="stopping"):
        tasks.submit("late", lambda task: None)
