"""The arithmetic of the overhead and window benchmarks, on made-up timestamps."""

from __future__ import annotations

import pytest

from pajamas.perf.overheads import Paired, median, stream_rate, token_delays
from pajamas.perf.page_probes import ScrollReport


def test_pairs_give_their_differences_ratios_and_the_difference_of_medians() -> None:
    paired = Paired(hub=[12.0, 30.0, 15.0], direct=[10.0, 11.0, 9.0])
    assert paired.differences == [2.0, 19.0, 6.0]
    assert paired.median_difference() == 15.0 - 10.0  # not the median difference (6)
    assert Paired([45.0, 50.0], [50.0, 50.0]).ratios == [0.9, 1.0]
    assert Paired([45.0, 50.0], [50.0, 50.0]).median_ratio() == pytest.approx(47.5 / 50)


@pytest.mark.parametrize(("hub", "direct"), [([], []), ([1.0], [1.0, 2.0])])
def test_pairs_must_match(hub: list[float], direct: list[float]) -> None:
    with pytest.raises(ValueError, match="as many"):
        Paired(hub, direct)


def test_token_delays_are_per_chunk_in_ms_and_skip_chunks_that_did_not_arrive() -> None:
    sent = {0: 10.0, 1: 10.02, 2: 10.04}
    assert token_delays(sent, {0: 10.001, 2: 10.05}) == pytest.approx([1.0, 10.0])
    with pytest.raises(ValueError, match="never sent"):
        token_delays(sent, {7: 11.0})
    with pytest.raises(ValueError, match="before it was sent"):
        token_delays(sent, {1: 9.0})


def test_a_stream_rate_counts_the_pieces_after_the_first() -> None:
    assert stream_rate([5.0, 5.5, 6.0]) == 2.0  # two pieces in a second after the first
    assert median([3.0, 1.0, 2.0, 10.0]) == 2.5
    for arrivals in ([1.0], [2.0, 2.0]):
        with pytest.raises(ValueError):
            stream_rate(arrivals)


def test_a_scroll_report_reads_frames_rows_and_long_tasks() -> None:
    report = ScrollReport.of({"frames": [16.6, 17.0, 33.4], "counts": [20, 31, 28, 22],
                              "tasks": [51.0, 80.5], "longtask": True, "reached": 6799,
                              "end": 6800, "total": 100})
    assert report.frames == [16.6, 17.0, 33.4] and report.max_rows == 31
    assert report.longest_task == 80.5 and report.reached_bottom
    assert report.extra()["long_tasks"] == 2 and report.extra()["longtask_observed"] == "yes"
    quiet = ScrollReport.of({"frames": [16.7], "counts": [5], "tasks": [], "longtask": False,
                             "reached": 10, "end": 500})
    assert quiet.longest_task == 0.0 and not quiet.reached_bottom
    assert quiet.extra()["longtask_observed"] == "unsupported"
    assert "floor_p95_ms" not in quiet.extra()
    floored = ScrollReport.of({"frames": [16.7], "counts": [5], "tasks": [], "longtask": True,
                               "reached": 10, "end": 10}, [16.7] * 18 + [33.4] * 2)
    assert floored.extra()["floor_p50_ms"] == 16.7 and floored.extra()["floor_p95_ms"] == 33.4
    with pytest.raises(ValueError, match="no frame"):
        ScrollReport.of({"frames": [], "counts": [1], "tasks": [], "longtask": True,
                         "reached": 0, "end": 0})
