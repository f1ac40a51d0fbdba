"""kill -9 of the core in the middle of memory work, then a restart on the same home.

Adders keep writing while the work runs; the kill lands at a moment an event chooses: the nth
acknowledged add, or a progress event of the task under test followed by `extra` more
acknowledged adds.  After the restart every acknowledged memory must be listed exactly once
(`Ledger.compare`), and every backup archive in the backups folder must be whole.
"""

from __future__ import annotations

import json
import random
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from pajamas.perf.faults.hub import KillableHub
from pajamas.perf.faults.ledger import Ledger
from pajamas.perf.faults.outcome import Outcome
from pajamas.perf.faults.traffic import GUARD_S, Adders, TaskEvents, sentence
from pajamas.rpc.client import Client
from pajamas.rpc.protocol import Event

Work = Literal["adds", "import", "compaction", "consolidation", "backup"]
FAULTS: Final[dict[Work, str]] = {
    "adds": "kill -9 of the core during adds and add batches",
    "import": "kill -9 of the core during a memory import",
    "compaction": "kill -9 of the core during a compaction (memory.maintain)",
    "consolidation": "kill -9 of the core while consolidation merges duplicates",
    "backup": "kill -9 of the core during a backup",
}
BATCH: Final = 200  # memories a set-up add_batch
#: The backed-up persona's description and system prompt, each this many characters: its
#: persona.json then takes tens of milliseconds to compress, so the kill, which lands within
#: a millisecond of the archive's file appearing, finds it half written.
RECORD_CHARS: Final = 1_000_000


@dataclass(frozen=True)
class Plan:
    """One trial: `size` memories (or duplicate pairs, or import rows) before the work, and the
    moment of the kill: after `extra` more acknowledged adds once the chosen event came."""

    seed: int = 0
    size: int = 40
    extra: int = 0
    fraction: float = 0.0  # import: the kill waits for progress at least this far


def settings(model_dir: Path) -> dict[str, str]:
    """A chaos core's settings: the shared model export, patient requests, frequent samples."""
    return {"PAJAMAS_EMBEDDING_MODEL_DIR": str(model_dir), "PAJAMAS_REQUEST_TIMEOUT_S": "300",
            "PAJAMAS_SAMPLE_INTERVAL_S": "0.25"}


@dataclass(frozen=True)
class _Trial:
    work: Work
    plan: Plan
    workdir: Path
    hub: KillableHub
    ledger: Ledger
    persona: str


def kill_during(work: Work, workdir: Path, model_dir: Path, plan: Plan) -> Outcome:
    """Run one trial of a kill -9 during work; what it found."""
    hub = KillableHub(workdir / "home", settings(model_dir))
    outcome, ledger = Outcome(FAULTS[work]), Ledger()
    try:
        with hub.start() as client:
            persona = client.call("persona.create", _persona(work, plan.seed))["id"]
            trial = _Trial(work, plan, workdir, hub, ledger, persona)
            _prepare(trial, client)
            events = TaskEvents(hub)
            try:
                with Adders(hub, persona, ledger, seed=plan.seed) as adders:
                    _start_and_kill(trial, client, events, adders)
            finally:
                events.close()
        if work == "backup":  # 1 when the kill found the archive half written, as meant
            parts = (hub.home / "backups").glob("*.part")
            outcome.figures["half_written"] = float(any(parts))
        _recover(hub, persona, ledger, outcome)
        if work == "backup":
            check_backups(hub.home / "backups", outcome)
        if hub.stop() != 0:
            outcome.fail(f"the restarted core did not stop cleanly: {hub.log_tail()}")
    finally:
        hub.stop()
    return outcome


def _persona(work: Work, seed: int) -> dict[str, str]:
    """The trial's persona: a long record for a backup (see `RECORD_CHARS`)."""
    if work != "backup":
        return {"name": "Chaos"}
    rng = random.Random(seed)  # noqa: S311  (test data)
    words: list[str] = []
    length = 0
    while length < RECORD_CHARS:
        words.append(sentence(rng, str(len(words))))
        length += len(words[-1]) + 1
    text = " ".join(words)[:RECORD_CHARS]
    return {"name": "Chaos", "description": text, "system_prompt": text[::-1]}


def _prepare(trial: _Trial, client: Client) -> None:
    work, plan, ledger, persona = trial.work, trial.plan, trial.ledger, trial.persona
    rng = random.Random(plan.seed)  # noqa: S311  (test data)
    if work == "consolidation":  # pairs a consolidation merges: the same words, other ending
        texts = [t for n in range(plan.size) for t in _pair(sentence(rng, f"pair {n}"))]
    else:
        texts = [sentence(rng, f"before {n}") for n in range(plan.size)]
    for start in range(0, len(texts), BATCH):
        chunk = texts[start:start + BATCH]
        ledger.sending(chunk)
        ids = client.call("memory.add_batch", {"persona": persona,
                                               "items": [{"text": t} for t in chunk]})["ids"]
        ledger.acknowledge(ids, chunk)
    if work == "import":  # imported rows are sent, not acknowledged until the task is done
        rows = [sentence(rng, f"imported {n}") for n in range(plan.size * 4)]
        ledger.sending(rows)
        with open(trial.workdir / "import.jsonl", "w", encoding="utf-8") as file:
            file.writelines(json.dumps({"text": t}) + "\n" for t in rows)


def _pair(text: str) -> tuple[str, str]:
    return f"{text}.", f"{text}!"


def _start_and_kill(trial: _Trial, client: Client, events: TaskEvents, adders: Adders) -> None:
    """Start the work, wait for its moment, kill the core."""
    acknowledged = len(trial.ledger.acknowledged)
    if trial.work == "adds":
        adders.wait_for(acknowledged + trial.plan.size)
    else:
        method, params, moment = _WORK[trial.work](trial.persona, trial.workdir, trial.plan)
        task = client.call(method, params)["task"]
        events.wait(task, moment)
        if trial.work == "backup":  # the archive's file appearing: the kill lands mid-write
            _appears(trial.hub.home / "backups")
        else:
            adders.wait_for(len(trial.ledger.acknowledged) + trial.plan.extra)
    trial.hub.kill()


def _appears(folder: Path) -> None:
    """Return once a file appears in folder (a backup being written)."""
    deadline = time.monotonic() + GUARD_S
    while not (folder.is_dir() and any(folder.iterdir())):
        if time.monotonic() > deadline:
            raise AssertionError(f"no file appeared in {folder} within {GUARD_S:g} s")
        time.sleep(0.0005)  # polling for the file: the OS offers no portable event for it


def _progress(message: str, least: float = 0.0) -> Callable[[Event], bool]:
    """A moment: the task's progress event whose message starts with message, at least least."""
    return lambda e: (e.topic == "task.progress" and e.data["message"].startswith(message)
                      and (e.data["progress"] or 0.0) >= least)


_Start = Callable[[str, Path, Plan], tuple[str, dict[str, object], Callable[[Event], bool]]]
_WORK: Final[dict[str, _Start]] = {
    "import": lambda persona, workdir, plan: (
        "memory.import", {"persona": persona, "path": str(workdir / "import.jsonl")},
        _progress("", plan.fraction)),
    "compaction": lambda persona, workdir, plan: (
        "memory.maintain", {"persona": persona}, _progress("compacting")),
    "consolidation": lambda persona, workdir, plan: (
        "memory.consolidate", {"persona": persona}, _progress("merging")),
    "backup": lambda persona, workdir, plan: (
        "memory.backup", {"persona": persona}, _progress("writing")),
}


def _recover(hub: KillableHub, persona: str, ledger: Ledger, outcome: Outcome) -> None:
    """Start the core again, time it to its first memory answer, compare with the ledger."""
    with hub.start() as client:
        client.call("memory.list", {"persona": persona, "limit": 1})
        outcome.recovery_s = hub.since_kill()
        ledger.compare(client, persona, outcome)
        after = client.call("memory.add", {"persona": persona, "text": "after the restart"})
        if client.call("memory.get", {"persona": persona, "id": after["id"]})["text"] != \
                "after the restart":
            outcome.fail("an add after the restart was not kept")


def check_backups(folder: Path, outcome: Outcome) -> None:
    """Every archive in folder is whole: a readable zip whose memories match its manifest."""
    from pajamas.errors import HubError  # noqa: PLC0415
    from pajamas.memory.backup import MANIFEST, MEMORIES, check_manifest  # noqa: PLC0415

    for path in sorted(folder.glob("*.zip")) if folder.is_dir() else []:
        try:
            with zipfile.ZipFile(path) as archive:
                manifest = json.loads(archive.read(MANIFEST))
                check_manifest(manifest, archive.read(MEMORIES), path.name)
        except (zipfile.BadZipFile, KeyError, ValueError, HubError) as exc:
            outcome.fail(f"a half backup is listed: {path.name} ({exc})")
