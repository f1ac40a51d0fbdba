"""Statistics of samples: percentiles agree with the standard library's definition."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pajamas.perf.stats import percentile, summarize

samples = st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=2, max_size=200)


@given(samples)
def test_percentiles_match_statistics_quantiles_inclusive(values: list[float]) -> None:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    ordered = sorted(values)
    for q in (1, 50, 95, 99):
        assert percentile(ordered, q) == pytest.approx(cuts[q - 1], abs=1e-6)


@given(samples)
def test_summary_orders_its_figures(values: list[float]) -> None:
    summary = summarize(values)
    assert summary.min <= summary.median <= summary.p95 <= summary.p99 <= summary.max
    assert summary.n == len(values)
    assert summary.stat("p50") == summary.median


def test_a_single_sample_is_every_figure() -> None:
    summary = summarize([7.0])
    assert (summary.median, summary.p95, summary.p99, summary.stdev) == (7.0, 7.0, 7.0, 0.0)


def test_known_values() -> None:
    summary = summarize([float(v) for v in range(1, 101)])
    assert summary.median == 50.5
    assert summary.p95 == pytest.approx(95.05)
    assert summary.mean == 50.5


def test_no_samples_and_bad_percentiles_are_refused() -> None:
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 50)
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 101)
