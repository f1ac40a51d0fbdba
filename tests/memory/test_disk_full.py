"""A full disk, through real cores on a 64 MB tmpfs home: adds answer `disk_full`, reads answer,
freed space lets adds resume without a restart, and after a kill -9 every acknowledged memory
is there exactly once (the scenario is `chaos.disk_full`'s, at a small scale).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from pajamas.errors import DiskFull
from pajamas.memory.table import unborn
from pajamas.perf.benchmarks.chaos_disk import fill, run_trial, small_disk
from tests.conftest import start, stop
from tests.memory.test_early import early_adds, gated_start, patient, settings


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 MB tmpfs for the home (mounting needs root: CI runs the tests as root)."""
    if os.geteuid() != 0:
        pytest.fail("these tests mount a 64 MB tmpfs for the home, which needs root",
                    pytrace=False)
    with small_disk(tmp_path / "home") as home:
        yield home


def test_a_full_disk_refuses_adds_keeps_reads_and_loses_nothing(tmp_path: Path,
                                                                model_dir: Path) -> None:
    trial = run_trial(tmp_path, settings(model_dir), adds=3, cycles=1)
    assert trial.refusals, "no add was refused on the full disk"
    for message in trial.refusals:
        assert "free space on " in message and "nothing acknowledged was lost" in message
    assert trial.reads == 5
    assert len(trial.acknowledged) >= 4  # 3 before the fill, 1 after it was freed
    assert sorted(trial.survivors) == sorted(trial.acknowledged.items())
    assert trial.lost == 0


def test_a_table_whose_creation_the_full_disk_stopped_is_made_again(disk: Path,
                                                                     model_dir: Path) -> None:
    core = start(disk, **settings(model_dir))
    try:
        with patient(core) as client:
            persona = client.call("persona.create", {"name": "Ada"})["id"]
            other = client.call("persona.create", {"name": "Bob"})["id"]
            client.call("memory.list", {"persona": other})  # the store is open: Ada's turn
            filler = fill(disk)
            with pytest.raises(DiskFull, match="free space on"):
                client.call("memory.add", {"persona": persona, "text": "on a full disk"})
            assert unborn(disk / "memory", persona)  # what LanceDB left: a table never born
            filler.unlink()
            kept = client.call("memory.add", {"persona": persona, "text": "once freed"})["id"]
            listed = client.call("memory.list", {"persona": persona})
            assert [m["id"] for m in listed["items"]] == [kept]
    finally:
        assert stop(core.process) == 0, (disk / "logs" / "core.out").read_text()


def test_journaled_adds_outlive_a_table_left_unborn_and_a_kill_9(disk: Path,
                                                                 model_dir: Path) -> None:
    first = gated_start(disk, model_dir, disk.parent / "never")  # the store never opens
    with patient(first) as client:
        persona = client.call("persona.create", {"name": "Ada"})["id"]
        ids = early_adds(client, persona)  # acknowledged from the journal
    os.kill(first.process.pid, signal.SIGKILL)
    first.process.wait(30)
    # What a disk that filled while the store created the persona's table leaves behind.
    for folder in ("_versions", "_transactions"):
        (disk / "memory" / f"{persona}.lance" / folder).mkdir(parents=True)
    assert unborn(disk / "memory", persona)
    (disk / "run" / "core.json").unlink(missing_ok=True)
    second = start(disk, **settings(model_dir))
    try:
        with patient(second) as client:
            listed = client.call("memory.list", {"persona": persona})
            assert sorted(m["id"] for m in listed["items"]) == sorted(ids)
            assert listed["total"] == len(ids)
    finally:
        assert stop(second.process) == 0, (disk / "logs" / "core.out").read_text()
