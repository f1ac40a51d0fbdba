"""Staged start-up in process: order, events, a failed stage, waiting for a service."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from pajamas.errors import Busy, Internal
from pajamas.stages import Stages

WAIT_S = 10.0


def stages_with(events: list[tuple[str, Any]]) -> Stages:
    return Stages(lambda topic, data: events.append((topic, data)), started=time.monotonic())


def test_stages_run_in_order_and_report_each_one() -> None:
    events: list[tuple[str, Any]] = []
    stages, ran = stages_with(events), []
    stages.add("first", lambda: ran.append("first"))
    stages.record("rpc", 0.01)
    slot = stages.add("second", lambda: ran.append("second") or "service")
    stages.start()
    assert stages.wait(WAIT_S) and slot.get(0) == "service"
    assert ran == ["first", "second"]
    assert [v["stage"] for v in stages.views()] == ["rpc", "first", "second"]
    assert all(v["status"] == "done" and v["finished_at"] for v in stages.views())
    reported = [(d["stage"], d["status"]) for t, d in events if t == "startup.stage"]
    assert reported == [("rpc", "done"), ("first", "running"), ("first", "done"),
                        ("second", "running"), ("second", "done"), ("all", "done")]
    assert stages.check() == {"status": "ok", "detail": "all 3 stages done"}


def test_a_failed_stage_degrades_skips_its_dependents_and_the_rest_runs() -> None:
    events: list[tuple[str, Any]] = []
    stages = stages_with(events)

    def broken() -> None:
        raise OSError("disk full")

    store = stages.add("store", broken)
    index = stages.add("index", lambda: "index", needs=(store,))
    other = stages.add("other", lambda: "other")
    stages.start()
    assert stages.wait(WAIT_S)
    statuses = {v["stage"]: (v["status"], v["error"]) for v in stages.views()}
    assert statuses["store"] == ("failed", "failed: OSError: disk full")
    assert statuses["index"][0] == "skipped" and "store" in str(statuses["index"][1])
    assert other.get(0) == "other"
    check = stages.check()
    assert check["status"] == "degraded" and "disk full" in check["detail"]
    with pytest.raises(Internal, match="disk full"):
        store.get(0)
    with pytest.raises(Internal, match="skipped"):
        index.get(0)
    last = [d for t, d in events if d["stage"] == "all"][-1]
    assert last["status"] == "degraded" and "store" in last["error"]


def test_a_caller_waits_for_a_stage_still_running_then_gets_busy() -> None:
    stages, release = stages_with([]), threading.Event()
    slot = stages.add("slow", lambda: release.wait(WAIT_S) and "ready")
    stages.start()
    with pytest.raises(Busy, match="slow"):
        slot.get(0.05)
    assert stages.check()["detail"] == "starting: slow (running)"
    release.set()
    assert slot.get(WAIT_S) == "ready"


def test_a_stage_added_after_start_up_runs_at_once_and_stops_in_reverse() -> None:
    stages, stopped = stages_with([]), []
    stages.add("a", lambda: "a", stop=stopped.append)
    stages.start()
    assert stages.wait(WAIT_S)
    late = stages.add("b", lambda: "b", stop=stopped.append)
    assert late.get(WAIT_S) == "b" and stages.wait(WAIT_S)
    stages.stop(WAIT_S)
    assert stopped == ["b", "a"]


def test_names_are_unique_and_dependencies_known() -> None:
    stages = stages_with([])
    stages.add("a", lambda: None)
    with pytest.raises(ValueError, match="exists"):
        stages.add("a", lambda: None)
    elsewhere = stages_with([]).add("nope", lambda: None)
    with pytest.raises(ValueError, match="not added here"):
        stages.add("c", lambda: None, needs=(elsewhere,))
