"""The monitor through a real core: samples, watching other processes, a leak, failures.

The core runs with a 3 s leak window and 0.1 s samples, so a process that grows 8 MB/s is a
leak within seconds; thresholds for threads and files are set out of reach, so the core's own
start-up (workers appearing) raises nothing.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pajamas.errors import Internal, InvalidParams, NotFound
from pajamas.rpc.client import Client, Subscriber
from pajamas.rpc.protocol import Event
from tests.conftest import PATIENCE_S, RunningCore, start, stop

FAST = {"PAJAMAS_SAMPLE_INTERVAL_S": "0.1", "PAJAMAS_LEAK_WINDOW_S": "3",
        "PAJAMAS_LEAK_RSS_MB_PER_MIN": "60", "PAJAMAS_LEAK_THREADS_PER_MIN": "6000",
        "PAJAMAS_LEAK_OPEN_FILES_PER_MIN": "6000", "PAJAMAS_MONITOR_ARCHIVE_STEP_S": "0.2"}
# Grows 8 MB/s (b"x" * n writes every page, so RSS really grows) for 5 s, then holds.
LEAKY = """
import sys, time
hoard = []
for _ in range(100):
    hoard.append(b"x" * 400_000)
    time.sleep(0.05)
sys.stdin.read()
"""
IDLE = "import sys; sys.stdin.read()"


@pytest.fixture(scope="module")
def fast_core(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCore]:
    home = tmp_path_factory.mktemp("monitor") / "home"
    home.mkdir()
    running = start(home, **FAST)
    yield running
    assert stop(running.process) == 0


@pytest.fixture
def fast(fast_core: RunningCore) -> Iterator[Client]:
    with fast_core.client() as c:
        yield c


@pytest.fixture
def child() -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    spawned: list[subprocess.Popen[bytes]] = []

    def spawn(code: str) -> subprocess.Popen[bytes]:
        spawned.append(subprocess.Popen([sys.executable, "-S", "-c", code],
                                        stdin=subprocess.PIPE))
        return spawned[-1]
    yield spawn
    for proc in spawned:
        proc.kill()
        proc.wait()


def wait_for(events: Subscriber, match: Callable[[Event], bool],
             timeout: float = PATIENCE_S) -> Event:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        event = events.receive(timeout=left)
        if event is not None and match(event):
            return event
    raise AssertionError("the event never came")


def is_alert(event: Event, process: str, state: str) -> bool:
    data: dict[str, Any] = event.data
    return (event.topic == "monitor.alert" and data["process"] == process
            and data["state"] == state and data["kind"] == "leak" and data["metric"] == "rss")


def test_a_leaking_process_raises_a_leak_alert_that_clears_when_it_stops(
        fast_core: RunningCore, fast: Client,
        child: Callable[[str], subprocess.Popen[bytes]]) -> None:
    events = fast_core.subscribe("monitor.alert")
    try:
        leaky = child(LEAKY)
        fast.call("monitor.watch", {"pid": leaky.pid, "role": "plugin_host", "name": "leaky"})
        raised = wait_for(events, lambda e: is_alert(e, "leaky", "raised")).data
        assert raised["pid"] == leaky.pid and raised["threshold"] == 60.0
        assert raised["value"] > 60 and raised["unit"] == "MB/min"
        assert "leaky" in raised["message"] and "leak_rss_mb_per_min" in raised["message"]
        assert [a["id"] for a in fast.call("monitor.alerts")["items"]] == ["leak:leaky.rss"]
        health = fast.call("system.health")
        assert health["checks"]["monitor"]["status"] == "degraded" and health["status"] != "ok"
        cleared = wait_for(events, lambda e: is_alert(e, "leaky", "cleared")).data
        assert cleared["id"] == "leak:leaky.rss"
    finally:
        events.close()
    assert fast.call("monitor.alerts")["total"] == 0


def test_the_snapshot_keeps_the_status_pages_shape_and_adds_figures(fast: Client) -> None:
    snapshot = eventually(lambda: fast.call("monitor.snapshot"),
                          lambda snap: "core.tasks_running" in snap["gauges"])  # tasks stage
    core = snapshot["core"]
    assert {"pid", "rss", "cpu_percent", "threads"} <= set(core) and core["rss"] > 0
    assert core["role"] == "core" and core["open_files"] > 0
    assert snapshot["processes"][0]["name"] == "core"
    assert set(snapshot["rpc"]) == {"requests_per_s", "latency_p50_us", "latency_p99_us"}
    assert {"core.pending", "core.tasks_running"} <= set(snapshot["gauges"])
    assert snapshot["system"]["available"] > 0 and snapshot["pressure"] is None
    pinged_at = time.time()  # the clock of the samples' times
    for _ in range(50):
        fast.call("system.ping")

    def since_pings(metric: str) -> list[float]:
        points = fast.call("monitor.history", {"metric": metric, "window_s": 600})["points"]
        return [v for t, v in points if t > pinged_at]

    eventually(lambda: since_pings("core.requests_per_s"), lambda rates: max(rates, default=0) > 0)
    p99 = since_pings("core.latency_p99_us")  # sampled with the rate that counted the pings
    assert p99 and all(v > 0 for v in p99)
    metrics = fast.call("monitor.metrics")["items"]
    assert {"core.rss", "core.requests_per_s", "system.available"} <= set(metrics)
    points = fast.call("monitor.history", {"metric": "core.rss", "window_s": 60})["points"]
    assert len(points) >= 3 and all(v > 0 for _, v in points)
    assert points == sorted(points)


def test_watching_another_process_until_it_exits(
        fast: Client, child: Callable[[str], subprocess.Popen[bytes]]) -> None:
    idle = child(IDLE)
    watched = fast.call("monitor.watch", {"pid": idle.pid, "role": "shell"})
    assert watched["name"] == f"shell-{idle.pid}" and watched["role"] == "shell"

    def names() -> list[str]:
        return [p["name"] for p in fast.call("monitor.snapshot")["processes"]]

    eventually(names, lambda now: f"shell-{idle.pid}" in now)
    idle.kill()
    idle.wait()
    assert "core" in eventually(names, lambda now: f"shell-{idle.pid}" not in now)
    assert fast.call("monitor.unwatch", {"pid": idle.pid}) == {"unwatched": False}


def test_bad_watch_and_history_requests_say_what_was_wrong(fast: Client) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        fast.call("monitor.watch", {"pid": 2**22 + 12345, "role": "shell"})
    with pytest.raises(InvalidParams) as bad_role:
        fast.call("monitor.watch", {"pid": 1, "role": "Shell!"})
    assert bad_role.value.field == "role"
    with pytest.raises(InvalidParams) as dotted:
        fast.call("monitor.watch", {"pid": 1, "role": "shell", "name": "a.b"})
    assert dotted.value.field == "name"
    with pytest.raises(NotFound, match=r"no metric 'nobody\.rss'") as missing:
        fast.call("monitor.history", {"metric": "nobody.rss"})
    assert missing.value.data["hint"] == "monitor.metrics"
    with pytest.raises(InvalidParams):
        fast.call("monitor.history", {"metric": "core.rss", "window_s": 0})


def test_memory_profiles_list_the_growing_lines(fast: Client) -> None:
    first = fast.call("monitor.profile_memory")
    assert first["started"] is True and first["tracing"] is True and first["items"] == []
    for _ in range(100):
        fast.call("system.info")
    second = fast.call("monitor.profile_memory", {"limit": 5, "stop": True})
    assert second["started"] is False and second["tracing"] is False
    assert 0 < len(second["items"]) <= 5
    assert all(item["size_diff"] > 0 and item["line"] > 0 for item in second["items"])


def test_health_lists_the_stages_and_their_checks(fast: Client) -> None:
    health = fast.call("system.health")
    stages = {s["stage"]: s for s in health["stages"]}
    assert {"rpc", "monitor", "tasks"} <= set(stages)
    assert all(s["status"] == "done" and s["duration_s"] >= 0 for s in stages.values())
    assert health["checks"]["startup"]["status"] == "ok"
    assert {"monitor", "tasks", "disk", "memory", "avx2", "model_package"} <= set(
        health["checks"])


def archived_steps(home: Path) -> int:
    """The steps the monitor wrote to its archive on disk (<home>/monitor/<date>.jsonl)."""
    return sum(len(path.read_text().splitlines()) for path in (home / "monitor").glob("*.jsonl"))


def test_history_survives_a_restart(home: Path) -> None:
    first = start(home, **FAST)
    eventually(lambda: archived_steps(home), lambda steps: steps >= 3)  # 0.2 s steps
    assert stop(first.process) == 0
    restarted_at = time.time()
    second = start(home, **FAST)
    try:
        with second.client() as client:
            points = client.call("monitor.history", {"metric": "core.rss", "window_s": 120})
        assert sum(t < restarted_at for t, _ in points["points"]) >= 3
    finally:
        assert stop(second.process) == 0


def test_a_failed_stage_degrades_the_hub_which_keeps_serving(home: Path) -> None:
    (home / "monitor").write_text("a file where the monitor's folder should be")
    running = start(home)
    try:
        with running.client() as client:
            health = eventually(lambda: client.call("system.health"),
                                lambda h: h["checks"]["startup"]["status"] != "ok")
            assert health["status"] == "degraded"
            assert "monitor failed" in health["checks"]["startup"]["detail"]
            assert health["checks"]["monitor"]["status"] == "degraded"
            with pytest.raises(Internal, match="monitor is unavailable"):
                client.call("monitor.snapshot")
            assert client.call("system.ping")["pong"] is True
            assert client.call("task.list")["total"] == 0  # the other stages came up
    finally:
        assert stop(running.process) == 0


def test_memory_pressure_collects_garbage_and_says_so(home: Path) -> None:
    running = start(home, PAJAMAS_PRESSURE_HUB_MB="1", PAJAMAS_PRESSURE_COOLDOWN_S="0.3")
    events = running.subscribe("monitor.pressure")
    try:
        event = wait_for(events, lambda e: e.topic == "monitor.pressure").data
        assert "pressure_hub_mb" in event["reason"] and event["hub_rss"] > 1024 * 1024
        assert event["gc_collected"] >= 0 and isinstance(event["shed"], list)
        with running.client() as client:
            kinds = [a["kind"] for a in client.call("monitor.alerts")["items"]]
            assert "pressure" in kinds
            assert client.call("system.health")["checks"]["monitor"]["status"] == "degraded"
    finally:
        events.close()
        assert stop(running.process) == 0


def eventually(get: Callable[[], Any], done: Callable[[Any], bool],
               timeout: float = PATIENCE_S) -> Any:
    """get() once done(get()) holds; polls until timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = get()
        if done(value):
            return value
        time.sleep(0.05)
    raise AssertionError(f"never happened; last value: {value!r:.300}")
