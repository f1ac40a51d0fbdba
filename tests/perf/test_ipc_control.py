"""The inter-process control: a real child process echoes every byte, and ends when asked."""

from __future__ import annotations

import pytest

from pajamas.perf.ipc_control import Echo


def test_round_trips_are_timed_through_a_real_child_that_ends_with_its_input() -> None:
    with Echo() as echo:
        pid = echo._proc.pid
        times = echo.trips(count=200, warmup=10)
        assert len(times) == 200 and all(t > 0 for t in times)
        proc = echo._proc
    assert proc.returncode == 0, f"echo {pid} did not end on its own"


def test_a_child_that_died_is_named() -> None:
    with Echo() as echo:
        echo._proc.kill()
        echo._proc.wait()
        with pytest.raises(RuntimeError, match=r"the echo process \(pid \d+\) stopped answering"):
            echo.trips(count=5, warmup=0)
