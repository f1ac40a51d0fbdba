"""The inter-process control: a one-byte round trip to a child process, timed in every round.

The calibration loop times one process's arithmetic.  What it cannot see is a machine that
has become slower at waking processes up: a shared virtual machine whose host got busy, a
laptop that changed power mode.  Nearly every benchmark goes through the core, the plugin
hosts or a browser, so such a spell slows them all while the loop stays put.  This control is
timed next to the loop in every round of a run; `perf compare` reads it to tell a change of
the code from a change of the machine (`compare.steady`).

It needs nothing but the standard library and pipes, so it runs on every operating system.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from types import TracebackType
from typing import Final, Self

NAME: Final = "pipe_round_trip"
UNIT: Final = "µs"
TRIPS: Final = 1_000  # 20-40 ms a round here: short beside any benchmark, many to average
WARMUP: Final = 50
_ECHO: Final = ("import os\n"
                "while True:\n"
                "    b = os.read(0, 1)\n"
                "    if not b:\n"
                "        break\n"
                "    os.write(1, b)\n")


class Echo:
    """A child process that writes back every byte it reads; a context manager."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen([sys.executable, "-I", "-c", _ECHO],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._out, self._in = self._proc.stdin.fileno(), self._proc.stdout.fileno()

    def trips(self, count: int = TRIPS, warmup: int = WARMUP) -> list[float]:
        """The times of count round trips (after warmup untimed ones), in microseconds."""
        times: list[float] = []
        for index in range(warmup + count):
            start = time.perf_counter_ns()
            try:
                os.write(self._out, b"x")
                echoed = os.read(self._in, 1)
            except OSError as exc:  # a pipe whose other end is gone
                echoed = repr(exc).encode()
            if echoed != b"x":
                raise RuntimeError(f"the echo process (pid {self._proc.pid}) stopped answering "
                                   f"({echoed!r} came back)")
            if index >= warmup:
                times.append((time.perf_counter_ns() - start) / 1_000)
        return times

    def close(self) -> None:
        """End the child: its input closes, it exits; killed if it does not."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.close()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc.stdout.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
