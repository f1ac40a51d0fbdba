"""Leak detection on made-up time: growth is flagged, noise and steps are not, alerts clear."""

from __future__ import annotations

import random
from collections.abc import Callable

from pajamas.monitor.alerts import Alert
from pajamas.monitor.history import History
from pajamas.monitor.leaks import LeakDetector, LeakRule
from pajamas.monitor.watchlist import Watched

MB = 1024 * 1024
RSS = LeakRule("rss", 1.0, "MB", MB, "leak_rss_mb_per_min")
THREADS = LeakRule("threads", 1.0, "threads", 1.0, "leak_threads_per_min")
T0 = 1_800_000_000.0


def run(series: Callable[[float], float], seconds: int, *, field: str = "rss",
        since: float = T0) -> list[tuple[float, dict[str, Alert]]]:
    """Feed one point a second to a detector (5 min window), checking every 10 s."""
    history = History(600, 1.0)
    detector = LeakDetector([RSS, THREADS], window_s=300, confidence=0.99)
    process = Watched(42, "plugin_host", "host", since)
    checks = []
    for s in range(1, seconds + 1):
        now = T0 + s
        history.add(now, {f"host.{field}": series(now)})
        if s % 10 == 0:
            checks.append((now - T0, detector.check(now, history, [process])))
    return checks


def first_flag(checks: list[tuple[float, dict[str, Alert]]]) -> float | None:
    return next((t for t, found in checks if found), None)


def test_a_2_mb_per_minute_grower_is_flagged_within_5_minutes() -> None:
    rng = random.Random(3)
    checks = run(lambda t: 200 * MB + 2 * MB * (t - T0) / 60 + rng.gauss(0, MB), 400)
    flagged = first_flag(checks)
    assert flagged is not None and flagged <= 300
    alert = checks[-1][1]["leak:host.rss"]
    assert alert["process"] == "host" and alert["pid"] == 42 and alert["metric"] == "rss"
    assert 1.5 < alert["value"] < 2.5 and alert["threshold"] == 1.0 and alert["unit"] == "MB/min"
    assert "leak_rss_mb_per_min" in alert["message"] and "host (pid 42)" in alert["message"]


def test_flat_noise_spikes_and_steps_are_never_flagged() -> None:
    rng = random.Random(4)

    def flat(t: float) -> float:
        step = 15 * MB if t > T0 + 1000 else 0.0  # a cache filling once
        spike = 8 * MB if rng.random() < 0.02 else 0.0
        return 200 * MB + step + spike + rng.gauss(0, 1.5 * MB)

    assert first_flag(run(flat, 3600)) is None


def test_the_alert_clears_once_growth_stops() -> None:
    def grows_then_stops(t: float) -> float:
        return 100 * MB + 3 * MB * min(t - T0, 400.0) / 60

    checks = run(grows_then_stops, 900)
    flagged = [t for t, found in checks if found]
    assert flagged and flagged[0] <= 300
    assert 400 < flagged[-1] < 900  # cleared after the growth ended, not at once


def test_thread_leaks_are_flagged_too_and_growth_before_watching_is_ignored() -> None:
    def threads(t: float) -> float:
        return 10 + (t - T0) // 20  # a new thread every 20 s: 3 a minute

    assert first_flag(run(threads, 400, field="threads")) is not None
    late = run(threads, 400, field="threads", since=T0 + 300)  # watched for only 100 s
    assert first_flag(late) is None
