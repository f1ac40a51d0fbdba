"""Alerts raise and clear once; memory pressure sheds, collects and says so."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from pajamas.monitor.alerts import Alert, AlertBoard
from pajamas.monitor.pressure import MB, PressureLimits, PressureResponder, Shed


def alert(alert_id: str, value: float, now: float, process: str = "core") -> Alert:
    return Alert(id=alert_id, kind="leak", state="raised", process=process, pid=1, metric="rss",
                 value=value, unit="MB/min", threshold=1.0, since=now, time=now,
                 message=f"{process} grows {value} MB/min")


def test_an_alert_is_raised_once_updated_quietly_and_cleared_once(
        caplog: pytest.LogCaptureFixture) -> None:
    events: list[tuple[str, Any]] = []
    board = AlertBoard(lambda topic, data: events.append((topic, data)))
    with caplog.at_level(logging.INFO, logger="pajamas.monitor.alerts"):
        for now in (10.0, 20.0, 30.0):
            board.sync("leak", now, {"leak:core.rss": alert("leak:core.rss", now / 10, now)})
        (active,) = board.active()
        assert active["since"] == 10.0 and active["value"] == 3.0  # figures kept fresh
        board.sync("leak", 40.0, {})
        board.sync("leak", 50.0, {})
    states = [(t, d["state"], d["time"]) for t, d in events]
    assert states == [("monitor.alert", "raised", 10.0), ("monitor.alert", "cleared", 40.0)]
    assert board.active() == []
    warning, info = caplog.records
    assert warning.levelno == logging.WARNING and "core grows 1.0 MB/min" in warning.message
    assert info.levelno == logging.INFO and "cleared" in info.message


def test_kinds_are_synced_apart_and_an_exited_process_clears_its_alerts() -> None:
    events: list[tuple[str, Any]] = []
    board = AlertBoard(lambda topic, data: events.append((topic, data)))
    board.sync("leak", 1.0, {"leak:host.rss": alert("leak:host.rss", 2.0, 1.0, "host")})
    board.sync("high", 1.0, {})  # another kind: the leak stays
    assert [a["id"] for a in board.active()] == ["leak:host.rss"]
    board.clear_process("host", 2.0)
    assert board.active() == [] and events[-1][1]["state"] == "cleared"
    assert "no longer watched" in events[-1][1]["message"]


def limits(cooldown_s: float = 60.0) -> PressureLimits:
    return PressureLimits(hub_mb=1000, available_mb=200, cooldown_s=cooldown_s)


def test_pressure_sheds_collects_and_reports_then_waits_out_its_cooldown() -> None:
    events: list[tuple[str, Any]] = []
    released: list[str] = []

    def broken() -> int:
        raise RuntimeError("hot tier locked")

    sheds = [Shed("cache.hot", lambda: released.append("cache") or 50 * MB),
             Shed("broken", broken), Shed("plugins.idle", lambda: released.append("hosts") or 0)]
    responder = PressureResponder(sheds, limits(), lambda t, d: events.append((t, d)),
                                  collect=lambda: 123)
    current = responder.check(0.0, hub_rss=1500 * MB, available=4000 * MB)
    assert list(current) == ["pressure:hub.rss"] and current["pressure:hub.rss"]["value"] == 1500
    assert released == ["cache", "hosts"]  # the broken shed did not stop the next one
    (topic, event), = events
    assert topic == "monitor.pressure" and event["gc_collected"] == 123
    assert [(s["name"], s["freed"]) for s in event["shed"]] == [
        ("cache.hot", 50 * MB), ("broken", 0), ("plugins.idle", 0)]
    assert "hot tier locked" in event["shed"][1]["error"]
    responder.check(30.0, hub_rss=1500 * MB, available=4000 * MB)
    assert len(events) == 1  # within the cooldown: the alert holds, no second response
    responder.check(61.0, hub_rss=1500 * MB, available=4000 * MB)
    assert len(events) == 2


def test_low_available_memory_is_pressure_too_and_calm_is_not() -> None:
    events: list[tuple[str, Any]] = []
    sheds: list[Shed] = []
    responder = PressureResponder(sheds, limits(0), lambda t, d: events.append((t, d)),
                                  collect=lambda: 0)
    assert responder.check(0.0, hub_rss=100 * MB, available=4000 * MB) == {}
    assert events == []
    sheds.append(Shed("late", lambda: 1))  # registered after the responder was built
    current = responder.check(1.0, hub_rss=100 * MB, available=100 * MB)
    assert "pressure_available_mb" in current["pressure:hub.available"]["message"]
    assert events[0][1]["shed"][0]["name"] == "late"
