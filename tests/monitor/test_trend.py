"""Trend statistics: Theil-Sen against scipy, the cheap flatness proof, steadiness."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from pajamas.monitor.trend import (
    bucket_medians,
    grows_in_both_halves,
    may_exceed,
    theil_sen,
)

values = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=3, max_size=40)


@given(values, st.sampled_from([0.9, 0.95, 0.99]))
@settings(max_examples=60, deadline=None)
def test_theil_sen_matches_scipy(ys: list[float], confidence: float) -> None:
    points = [(float(t), y) for t, y in enumerate(ys)]
    ours = theil_sen(points, confidence)
    theirs = stats.theilslopes(ys, list(range(len(ys))), alpha=confidence)
    assert ours is not None
    assert ours.slope == pytest.approx(theirs.slope, rel=1e-9, abs=1e-9)
    assert ours.low == pytest.approx(theirs.low_slope, rel=1e-9, abs=1e-9)
    assert ours.high == pytest.approx(theirs.high_slope, rel=1e-9, abs=1e-9)


def test_outliers_barely_move_the_slope() -> None:
    points = [(float(t), 2.0 * t) for t in range(30)]
    points[5] = (5.0, 1e6)
    points[20] = (20.0, -1e6)
    trend = theil_sen(points)
    assert trend is not None and trend.slope == pytest.approx(2.0)
    assert trend.low <= 2.0 <= trend.high
    assert theil_sen(points[:2]) is None


@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=4, max_size=30),
       st.floats(0.01, 100))
@settings(max_examples=100, deadline=None)
def test_may_exceed_is_only_false_when_the_slope_cannot_reach(noise: list[float],
                                                              slope: float) -> None:
    span = len(noise) - 1
    scale = 0.25 * slope * span * 0.999  # a range just below what may_exceed lets through
    points = [(float(t), v * scale) for t, v in enumerate(noise)]
    if not may_exceed(points, slope):
        trend = theil_sen(points)
        assert trend is None or trend.slope < slope


def test_bucket_medians_take_one_point_per_span() -> None:
    points = [(t / 10, 100.0 + (50.0 if t % 7 == 0 else 0.0)) for t in range(100)]
    medians = bucket_medians(points, 0.0, 10.0, 10)
    assert len(medians) == 10 and all(v == 100.0 for _, v in medians)
    assert bucket_medians(points, 20.0, 30.0, 5) == []


def test_steady_growth_grows_in_both_halves_but_a_step_does_not() -> None:
    rng = random.Random(1)
    linear = [(float(t), t + rng.gauss(0, 1)) for t in range(30)]
    step = [(float(t), (40.0 if t >= 10 else 0.0) + rng.gauss(0, 1)) for t in range(30)]
    assert grows_in_both_halves(linear, 1.0)
    step_trend = theil_sen(step)
    assert step_trend is not None and step_trend.slope > 0
    assert not grows_in_both_halves(step, step_trend.slope)
