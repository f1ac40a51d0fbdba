"""`Admission` on synthetic times: the sojourn of the oldest waiting request, the pace of
completions while requests wait, and the count cap each refuse a request; nothing else does."""

from __future__ import annotations

from dataclasses import dataclass

from pajamas.rpc.admission import Admission

MS = 1_000_000


@dataclass
class Request:
    arrived_ns: int
    started: bool = False


def test_the_pace_of_completions_sheds_before_the_oldest_request_has_waited_long() -> None:
    admission = Admission(max_wait_s=0.5, max_pending=100)
    queue = [Request(0) for _ in range(6)]
    for request in queue:
        admission.admitted(request)
    for n in range(1, 4):  # answered 100 ms apart while the six wait: the pace is 100 ms
        admission.done(n * 100 * MS)
    refusal = admission.refusal(300 * MS, pending=6)  # 6 x 100 ms > 0.5 s
    assert refusal is not None and "max_queue_wait_s" in refusal.message
    assert refusal.data["retry_after_ms"] == 600
    for request in queue[:2]:  # two taken by workers: four wait, 0.4 s of work
        request.started = True
    assert admission.refusal(300 * MS, pending=6) is None


def test_the_oldest_request_waiting_too_long_sheds_without_a_pace() -> None:
    admission = Admission(max_wait_s=0.5, max_pending=100)
    admission.admitted(Request(0))
    assert admission.refusal(400 * MS, pending=1) is None
    refusal = admission.refusal(600 * MS, pending=1)
    assert refusal is not None and refusal.data["retry_after_ms"] == 600


def test_gaps_while_nothing_waits_do_not_count_and_the_count_still_caps() -> None:
    admission = Admission(max_wait_s=0.5, max_pending=3)
    admission.done(0)
    admission.done(10_000 * MS)  # idle for ten seconds: not the core's pace
    for _ in range(2):
        admission.admitted(Request(10_000 * MS))
    assert admission.refusal(10_001 * MS, pending=2) is None
    capped = admission.refusal(10_001 * MS, pending=3)
    assert capped is not None and "max_pending_requests" in capped.message
