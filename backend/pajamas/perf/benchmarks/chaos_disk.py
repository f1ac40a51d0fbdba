"""Chaos: the home's disk fills up, is freed, and the core is killed (`chaos.disk_full`).

The home is a small tmpfs (64 MB, mounted for the trial: root only).  A real core adds
memories; a filler file takes every byte left; then adds must answer `disk_full` (not
acknowledged), reads must answer, and once the filler is deleted adds must succeed again
without a restart.  After several such cycles the core is killed with SIGKILL and started
again: every acknowledged memory must be there exactly once.  The test of this scenario
(tests/memory/test_disk_full.py) runs `run_trial` at a small scale.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pajamas import launcher
from pajamas.errors import DiskFull, HubError
from pajamas.perf.benchmark import Context, Measurement, NotRun
from pajamas.perf.cores import core_env
from pajamas.perf.registry import benchmark
from pajamas.rpc import connection
from pajamas.rpc.client import Client

TMPFS_MB: Final = 64
START_S: Final = 120.0  # a guard against a hang: the first start loads the model
CALL_S: Final = 120.0
CHUNK: Final = 1 << 20


@dataclass
class Trial:
    """What one trial saw: acknowledged ids, what the full disk answered, what survived."""

    acknowledged: dict[str, str] = field(default_factory=dict)  # id -> text
    refusals: list[str] = field(default_factory=list)  # the disk_full messages
    reads: int = 0  # reads answered on a full disk
    recovery_s: list[float] = field(default_factory=list)  # freed -> first add acknowledged
    survivors: list[tuple[str, str]] = field(default_factory=list)  # after the kill -9

    @property
    def lost(self) -> int:
        """Acknowledged memories missing after the restart, plus copies of any beyond one."""
        ids, present = [memory_id for memory_id, _ in self.survivors], set(self.survivors)
        missing = sum(1 for pair in self.acknowledged.items() if pair not in present)
        return missing + len(ids) - len(set(ids))


@contextmanager
def small_disk(folder: Path, size_mb: int = TMPFS_MB) -> Iterator[Path]:
    """A tmpfs of size_mb mounted at folder for the block (root only); unmounted after."""
    if os.geteuid() != 0:
        raise NotRun("mounts a small tmpfs for the home, which needs root")
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(folder)],
                   check=True, capture_output=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)


def fill(folder: Path) -> Path:
    """Take every byte left on folder's filesystem with a filler file; its path."""
    filler = folder / "filler"
    with open(filler, "ab", buffering=0) as file:
        stat = os.statvfs(folder)
        with contextlib.suppress(OSError):
            os.posix_fallocate(file.fileno(), 0, stat.f_bavail * stat.f_frsize)
        for size in (CHUNK, 4096, 512, 1):  # what fallocate's rounding left
            with contextlib.suppress(OSError):
                while True:
                    file.write(b"\0" * size)
    return filler


def start(home: Path, settings: Mapping[str, str]) -> tuple[subprocess.Popen[bytes], Client]:
    """A core for home and a patient client of it."""
    (home / "run" / "core.json").unlink(missing_ok=True)  # left by a killed core
    process = launcher.start_core(home, env=core_env(PAJAMAS_HOME=str(home), **settings))
    launcher.wait_ready(home, process, timeout=START_S)
    return process, Client(connection.read(home), timeout=CALL_S)


def add(client: Client, persona: str, text: str, trial: Trial) -> None:
    """Add one memory; record it if acknowledged (a DiskFull refusal is recorded too)."""
    try:
        memory_id = client.call("memory.add", {"persona": persona, "text": text})["id"]
    except DiskFull as exc:
        trial.refusals.append(exc.message)
        return
    trial.acknowledged[memory_id] = text


def read_all(client: Client, persona: str) -> None:
    """The reads a full disk must still answer (raises what they raise)."""
    client.call("memory.search", {"persona": persona, "query": "a fact about the garden"})
    client.call("memory.search", {"persona": persona, "query": "fact", "mode": "text"})
    client.call("memory.list", {"persona": persona})
    client.call("persona.list", {})
    client.call("cache.stats", {})


def full_cycle(client: Client, home: Path, persona: str, trial: Trial, *, adds: int,
               cycle: int) -> None:
    """adds memories, then the disk fills: a refused add, reads; then freed: an add."""
    for n in range(adds):
        add(client, persona, f"cycle {cycle} fact {n}: the garden has {n} roses", trial)
    # The store open and the table made first: a persona's first table cannot be made on a
    # full disk, and its reads answer disk_full until it can (its adds stay journaled).
    client.call("memory.list", {"persona": persona})
    filler = fill(home)
    refused = len(trial.refusals)
    add(client, persona, f"cycle {cycle}: written on a full disk", trial)
    if len(trial.refusals) == refused:  # a journal fits where nothing else does: fill again
        fill(home)
        add(client, persona, f"cycle {cycle}: written on a full disk, again", trial)
    read_all(client, persona)
    trial.reads += 5
    filler.unlink()
    freed = time.perf_counter()
    add(client, persona, f"cycle {cycle}: written once space was back", trial)
    trial.recovery_s.append(time.perf_counter() - freed)


def run_trial(workdir: Path, settings: Mapping[str, str], *, adds: int,
              cycles: int) -> Trial:
    """The whole scenario on a fresh small disk: cycles of fill and free, then a kill -9."""
    trial = Trial()
    with small_disk(workdir / "home") as home:
        process, client = start(home, settings)
        try:
            persona = client.call("persona.create", {"name": "Ada"})["id"]
            for cycle in range(cycles):
                full_cycle(client, home, persona, trial, adds=adds, cycle=cycle)
            fill(home)  # killed on a full disk: the restart must find space by itself
        finally:
            client.close()
            process.send_signal(signal.SIGKILL)
            process.wait(CALL_S)
        (home / "filler").unlink()
        process, client = start(home, settings)
        try:
            listed: dict[str, Any] = client.call("memory.list",
                                                 {"persona": persona, "limit": 10_000})
            trial.survivors = [(m["id"], m["text"]) for m in listed["items"]]
        finally:
            client.close()
            launcher.stop_core(process, timeout=CALL_S)
    return trial


@benchmark(name="chaos.disk_full", unit="writes lost", better="lower")
def disk_full(ctx: Context) -> Measurement:
    """Acknowledged memories lost when the home's disk fills (and is freed) several times,
    then the core is killed: samples are the losses of each trial (it should be 0)."""
    from pajamas.perf.benchmarks.memory import model_folder  # noqa: PLC0415

    settings = {"PAJAMAS_EMBEDDING_MODEL_DIR": str(model_folder())}
    trials: list[Trial] = []
    for number in range(ctx.count(3, minimum=1)):
        try:
            trials.append(run_trial(ctx.workdir / f"trial-{number}", settings,
                                    adds=ctx.count(40, minimum=3), cycles=ctx.count(4)))
        except HubError as exc:  # a read refused, or a start failed: the hub did not survive
            trials.append(Trial(refusals=[exc.message]))
    survived = all(t.reads and not t.lost and t.survivors for t in trials)
    recoveries = [s for t in trials for s in t.recovery_s]
    return Measurement([float(t.lost) for t in trials], extra={
        "survived": 1.0 if survived else 0.0,
        "acknowledged": float(sum(len(t.acknowledged) for t in trials)),
        "recovery_s": max(recoveries, default=0.0),
        "refused": float(sum(len(t.refusals) for t in trials)),
        "fault": f"the home's {TMPFS_MB} MB disk fills and is freed several times, then a "
                 "kill -9 and a restart"})
