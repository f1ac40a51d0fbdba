"""Adds before the memory store opens, through a real core: acknowledged from the journal,
then found by reads, and kept exactly once across a kill -9.

To hold the store closed for as long as a test needs, the core's Python is given a
`sitecustomize` whose import hook makes `import lancedb` wait until a gate file exists; nothing
of the hub is replaced, and an add that needed LanceDB would hang (and the test fail).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from pajamas.memory.journal import Journal
from pajamas.rpc.client import Client
from tests.conftest import RunningCore, start, stop

GATE = '''\
import os, sys, time

class _LanceDBGate:
    """Holds `import lancedb` until the file LANCEDB_TEST_GATE names exists."""

    def find_spec(self, name, path=None, target=None):
        if name == "lancedb":
            while not os.path.exists(GATE_FILE):
                time.sleep(0.02)
        return None

GATE_FILE = os.environ["LANCEDB_TEST_GATE"]
sys.meta_path.insert(0, _LanceDBGate())
'''


def gated_start(home: Path, model_dir: Path, gate: Path) -> RunningCore:
    """A core whose `import lancedb` waits until gate exists."""
    site = home.parent / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(GATE)
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    return start(home, **settings(model_dir), PYTHONPATH=path, LANCEDB_TEST_GATE=str(gate))


def settings(model_dir: Path) -> dict[str, str]:
    return {"PAJAMAS_EMBEDDING_MODEL_DIR": str(model_dir), "PAJAMAS_REQUEST_TIMEOUT_S": "60"}


@contextmanager
def patient(core: RunningCore) -> Iterator[Client]:
    with core.client(timeout=60) as client:
        yield client


def early_adds(client: Client, persona: str) -> list[str]:
    """Three memories, added by one add and one add_batch."""
    first = client.call("memory.add", {"persona": persona, "text": "Caroline adopted a dog",
                                       "metadata": {"kind": "pet"}, "importance": 0.9})["id"]
    batch = client.call("memory.add_batch", {"persona": persona, "items": [
        {"text": "Melanie paints sunrises over the lake"},
        {"text": "Jon trains for a marathon", "context": "talking about sport"}]})["ids"]
    return [first, *batch]


def journaled_ids(home: Path, persona: str) -> list[str]:
    path = home / "memory" / "journal" / f"{persona}.journal"
    return [row["id"] for record in Journal(path).replay() for row in record.rows]


def test_adds_are_acknowledged_before_the_store_opens_and_found_after(
        home: Path, model_dir: Path) -> None:
    gate = home.parent / "gate"
    core = gated_start(home, model_dir, gate)
    try:
        with patient(core) as client:
            persona = client.call("persona.create", {"name": "Ada"})["id"]
            ids = early_adds(client, persona)
            assert journaled_ids(home, persona) == ids  # on disk, while LanceDB is held
            assert not (home / "memory" / f"{persona}.lance").exists()
            assert client.call("memory.embedder")["ready"] is True
            gate.touch()
            memory = client.call("memory.get", {"persona": persona, "id": ids[0]})
            assert memory["text"] == "Caroline adopted a dog"
            assert memory["metadata"] == {"kind": "pet"}
            assert memory["importance"] == pytest.approx(0.9)
            found = client.call("memory.search", {"persona": persona, "query": "sport",
                                                  "mode": "text", "limit": 1})
            assert [m["id"] for m in found["items"]] == [ids[2]]
            listed = client.call("memory.list", {"persona": persona})
            assert sorted(m["id"] for m in listed["items"]) == sorted(ids)
            assert not (home / "memory" / "journal" / f"{persona}.journal").exists()
            later = client.call("memory.add", {"persona": persona, "text": "after the opening"})
            assert client.call("memory.get", {"persona": persona, "id": later["id"]})
            assert journaled_ids(home, persona) == []  # committed: the journal is emptied
    finally:
        gate.touch()
        assert stop(core.process) == 0, (home / "logs" / "core.out").read_text()


def test_early_adds_survive_a_kill_9_before_the_store_opens(home: Path,
                                                            model_dir: Path) -> None:
    first = gated_start(home, model_dir, home.parent / "never")
    with patient(first) as client:
        persona = client.call("persona.create", {"name": "Ada"})["id"]
        ids = early_adds(client, persona)
    os.kill(first.process.pid, signal.SIGKILL)
    first.process.wait(30)
    journal = home / "memory" / "journal" / f"{persona}.journal"
    with open(journal, "ab") as file:  # as if killed in the middle of a fourth add
        file.write(b"\x40\x00\x00\x00torn")
    (home / "run" / "core.json").unlink(missing_ok=True)
    second = start(home, **settings(model_dir))
    try:
        with patient(second) as client:
            listed: dict[str, Any] = client.call("memory.list", {"persona": persona})
            assert sorted(m["id"] for m in listed["items"]) == sorted(ids)
            assert listed["total"] == len(ids)
            assert not journal.exists()
            client.call("memory.add", {"persona": persona, "text": "after the crash"})
            assert client.call("memory.stats", {"persona": persona})["count"] == len(ids) + 1
    finally:
        assert stop(second.process) == 0, (home / "logs" / "core.out").read_text()


def test_adds_of_a_running_hub_survive_a_kill_9_once_each_and_deletes_stay(
        home: Path, model_dir: Path) -> None:
    first = start(home, **settings(model_dir))
    with patient(first) as client:
        persona = client.call("persona.create", {"name": "Ada"})["id"]
        gone = client.call("memory.add", {"persona": persona, "text": "soon deleted"})["id"]
        client.call("memory.delete", {"persona": persona, "id": gone})
        kept = [client.call("memory.add", {"persona": persona, "text": f"fact number {n}"})["id"]
                for n in range(30)]
        os.kill(first.process.pid, signal.SIGKILL)  # right after the last acknowledgement
    first.process.wait(30)
    (home / "run" / "core.json").unlink(missing_ok=True)
    second = start(home, **settings(model_dir))
    try:
        with patient(second) as client:
            listed = client.call("memory.list", {"persona": persona, "limit": 100})
            assert sorted(m["id"] for m in listed["items"]) == sorted(kept)
            assert listed["total"] == len(kept)
    finally:
        assert stop(second.process) == 0, (home / "logs" / "core.out").read_text()


def test_deleting_a_persona_deletes_its_journal(home: Path, model_dir: Path) -> None:
    gate = home.parent / "gate"
    core = gated_start(home, model_dir, gate)
    try:
        with patient(core) as client:
            persona = client.call("persona.create", {"name": "Ada"})["id"]
            early_adds(client, persona)
            client.call("persona.delete", {"id": persona})
            assert journaled_ids(home, persona) == []
    finally:
        gate.touch()
        assert stop(core.process) == 0, (home / "logs" / "core.out").read_text()
