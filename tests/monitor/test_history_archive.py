"""The rolling history in memory and the downsampled archive on disk (restart, retention)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pajamas.monitor.archive import Archive
from pajamas.monitor.history import History, Ring, thin
from pajamas.monitor.requests import RequestRate
from pajamas.rpc.stats import RESERVOIR, RequestStats

DAY = 86400.0
T0 = 1_800_000_000.0  # 2027-01-15 08:00 UTC


def test_a_ring_keeps_the_newest_points_in_order() -> None:
    ring = Ring(4)
    for t in range(10):
        ring.append(float(t), t * 10.0)
    assert ring.points() == [(6.0, 60.0), (7.0, 70.0), (8.0, 80.0), (9.0, 90.0)]
    assert ring.points(since=8.0) == [(8.0, 80.0), (9.0, 90.0)] and ring.last_time() == 9.0


def test_history_is_bounded_and_forgets_metrics_of_gone_processes() -> None:
    history = History(window_s=10, interval_s=1)
    for t in range(100):
        history.add(float(t), {"core.rss": 1.0, **({"gone.rss": 2.0} if t < 50 else {})})
    assert len(history.points("core.rss")) <= 12
    assert history.prune(99.0) == ["gone.rss"] and history.metrics() == ["core.rss"]


def test_thin_averages_neighbours() -> None:
    points = [(float(t), float(t)) for t in range(10)]
    assert thin(points, 20) == points
    assert thin(points, 5) == [(0.5, 0.5), (2.5, 2.5), (4.5, 4.5), (6.5, 6.5), (8.5, 8.5)]


def test_the_archive_averages_steps_and_survives_a_new_instance(tmp_path: Path) -> None:
    archive = Archive(tmp_path, step_s=60, retention_days=7)
    for s in range(0, 180, 10):
        archive.add(T0 + s, {"core.rss": 100.0 + s, **({"only.first": 1.0} if s < 60 else {})})
    archive.flush()
    again = Archive(tmp_path, step_s=60, retention_days=7)  # as after a restart
    points = again.read("core.rss", T0 - 1)
    assert [round(v, 1) for _, v in points] == [125.0, 185.0, 245.0]
    assert again.read("only.first", T0 - 1) == [(T0 + 25, 1.0)]
    assert again.read("core.rss", T0 + 60, T0 + 120) == [(T0 + 85, 185.0)]


def test_old_days_are_deleted_and_torn_lines_skipped(tmp_path: Path) -> None:
    old = tmp_path / "2026-12-01.jsonl"
    old.write_text('{"t": 1796100000, "m": {"core.rss": 1}}\n')
    kept = tmp_path / f"{datetime.fromtimestamp(T0 - 2 * DAY, UTC).date().isoformat()}.jsonl"
    kept.write_text(f'{{"t": {T0 - 2 * DAY}, "m": {{"core.rss": 7}}}}\n{{"t": 12')
    archive = Archive(tmp_path, step_s=1, retention_days=7)
    archive.add(T0, {"core.rss": 9.0})
    archive.add(T0 + 1, {"core.rss": 9.0})  # writes the first step: the day's first write
    assert not old.exists() and kept.exists()
    assert [v for _, v in archive.read("core.rss", T0 - 7 * DAY)] == [7.0, 9.0]


def test_request_figures_come_from_the_latest_requests_only() -> None:
    stats = RequestStats()
    for _ in range(RESERVOIR + 10):
        stats.record(1_000_000)  # 1 ms, old
    rate = RequestRate(stats, 100.0)
    for n in range(100):
        stats.record((n + 1) * 1_000)  # 1..100 µs
    figures = rate.read(102.0)
    assert figures["requests_per_s"] == 50.0
    assert figures["latency_p50_us"] == 51.0 and figures["latency_p99_us"] == 100.0
    assert rate.read(103.0) == {"requests_per_s": 0.0, "latency_p50_us": None,
                                "latency_p99_us": None}
    assert sorted(stats.latest(3)) == [98_000, 99_000, 100_000]
