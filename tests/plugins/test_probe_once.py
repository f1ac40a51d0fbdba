"""The sandbox probe behind system.info's `containment` runs once, however many ask at once."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from pajamas.plugins.runtime import Runtime, RuntimeSettings


def waiting_in(thread: threading.Thread, function: str) -> bool:
    """Whether thread is running (or blocked) inside function now."""
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        if frame.f_code.co_name == function:
            return True
        frame = frame.f_back
    return False


def test_callers_during_a_probe_wait_for_it_instead_of_probing_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = Runtime(tmp_path, registry=None, require_persona=lambda persona: None,  # type: ignore[arg-type]
                            api=None, publish=lambda topic, data: None,  # type: ignore[arg-type]
                            settings=RuntimeSettings(idle_s=60, max_failures=3, heartbeat_s=1,
                                                     sample_s=1))
    probing, asked, probes = threading.Event(), threading.Event(), []
    second: list[threading.Thread] = []

    def probe() -> dict[str, Any]:
        probes.append(threading.current_thread().name)
        if not probing.is_set():  # the first probe lasts until the second caller has asked
            probing.set()
            asked.wait()
            while second[0].is_alive() and not waiting_in(second[0], "containment"):
                threading.Event().wait(0.001)
        return {"seccomp": True, "rlimits": True}

    def ask() -> None:
        asked.set()
        found.append(runtime.containment())

    monkeypatch.setattr(runtime, "_probe", probe)
    found: list[dict[str, bool]] = []
    first = threading.Thread(target=lambda: found.append(runtime.containment()))
    second.append(threading.Thread(target=ask))
    first.start()
    probing.wait()
    second[0].start()
    first.join()
    second[0].join()
    assert len(probes) == 1  # the second caller got the first's result
    assert [f["seccomp"] for f in found] == [True, True] and found[0] == found[1]
