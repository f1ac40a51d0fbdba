"""The memory.* methods through a real core: persona checks, deletes, durability after kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pajamas.errors import InvalidParams, NotFound
from pajamas.rpc.client import Client
from tests.conftest import RunningCore, core_env, start, stop


@pytest.fixture
def memory_core(home: Path, model_dir: Path) -> Iterator[RunningCore]:
    """A core whose embedder uses the session's export, with time to load it."""
    running = start(home, **_settings(model_dir))
    yield running
    assert stop(running.process) == 0, (home / "logs" / "core.out").read_text()


@pytest.fixture
def mclient(memory_core: RunningCore) -> Iterator[Client]:
    with memory_core.client(timeout=60) as c:
        yield c


def _settings(model_dir: Path) -> dict[str, str]:
    return {"PAJAMAS_EMBEDDING_MODEL_DIR": str(model_dir), "PAJAMAS_REQUEST_TIMEOUT_S": "60"}


def test_add_search_stats_through_the_core(mclient: Client) -> None:
    persona = mclient.call("persona.create", {"name": "Ada"})["id"]
    first = mclient.call("memory.add", {"persona": persona, "text": "Ada wrote the first program",
                                        "metadata": {"year": 1843}, "importance": 0.9})
    ids = mclient.call("memory.add_batch", {"persona": persona, "items": [
        {"text": "Ada liked poetry"}, {"text": "Charles built the engine"}]})["ids"]
    assert len(ids) == 2
    found = mclient.call("memory.search", {"persona": persona, "query": "first program"})
    assert found["items"][0]["id"] == first["id"] and found["total"] == 3
    assert set(found["items"][0]) >= {"id", "persona", "text", "metadata", "importance",
                                      "thread", "at", "created_at", "updated_at",
                                      "accessed_at", "score"}
    stats = mclient.call("memory.stats", {"persona": persona})
    assert stats["count"] == 3 and stats["indexed"]["fts"] and stats["embedder_ready"]
    context = mclient.call("memory.context", {"persona": persona, "query": "Ada",
                                              "max_tokens": 8})
    assert 0 < context["tokens"] <= 8 and context["text"].startswith("- ")
    assert context["items"] and all(0 < item["tokens"] <= 8 for item in context["items"])


def test_every_call_checks_the_persona(mclient: Client) -> None:
    ada = mclient.call("persona.create", {"name": "Ada"})["id"]
    bob = mclient.call("persona.create", {"name": "Bob"})["id"]
    secret = mclient.call("memory.add", {"persona": ada, "text": "the code is 4711"})["id"]
    with pytest.raises(NotFound):
        mclient.call("memory.get", {"persona": bob, "id": secret})
    with pytest.raises(NotFound):
        mclient.call("memory.add", {"persona": "nobody", "text": "x"})
    with pytest.raises(InvalidParams) as caught:
        mclient.call("memory.add_batch", {"persona": ada, "items": [{"text": "ok"},
                                                                    {"text": ""}]})
    assert caught.value.field == "items[1].text"
    with pytest.raises(InvalidParams):
        mclient.call("memory.add", {"persona": ada, "text": "x", "importance": 2})


def test_deleting_a_persona_deletes_its_memory(mclient: Client, memory_core: RunningCore) -> None:
    ada = mclient.call("persona.create", {"name": "Ada"})["id"]
    bob = mclient.call("persona.create", {"name": "Bob"})["id"]
    mclient.call("memory.add", {"persona": ada, "text": "remember me"})
    kept = mclient.call("memory.add", {"persona": bob, "text": "keep me"})["id"]
    mclient.call("memory.list", {"persona": bob})  # a read: the store has opened and replayed
    assert (memory_core.home / "memory" / f"{ada}.lance").exists()
    mclient.call("persona.delete", {"id": ada})
    assert not (memory_core.home / "memory" / f"{ada}.lance").exists()
    assert mclient.call("memory.get", {"persona": bob, "id": kept})["text"] == "keep me"


def test_acknowledged_adds_survive_kill_9(home: Path, model_dir: Path) -> None:
    first = start(home, **_settings(model_dir))
    with first.client(timeout=60) as client:
        persona = client.call("persona.create", {"name": "Ada"})["id"]
        ids = [client.call("memory.add", {"persona": persona, "text": f"fact number {n}"})["id"]
               for n in range(5)]
    os.kill(first.process.pid, signal.SIGKILL)
    first.process.wait(30)
    (home / "run" / "core.json").unlink(missing_ok=True)
    second = start(home, **_settings(model_dir))
    try:
        with second.client(timeout=60) as client:
            listed = client.call("memory.list", {"persona": persona, "limit": 10})
            assert {m["id"] for m in listed["items"]} == set(ids)
            client.call("memory.add", {"persona": persona, "text": "after the crash"})
    finally:
        second.process.terminate()
        second.process.wait(30)


def test_the_cli_adds_searches_and_reports(memory_core: RunningCore, mclient: Client) -> None:
    mclient.call("persona.create", {"name": "Ada"})
    env = core_env(memory_core.home)
    run = [sys.executable, "-m", "pajamas", "memory"]

    def cli(*args: str) -> str:
        done = subprocess.run([*run, *args], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    cli("add", "Ada", "the analytical engine", "--importance", "0.8")
    assert "analytical engine" in cli("search", "ada", "engine")
    assert '"count": 1' in cli("stats", "Ada")
    added = cli("add", "Ada", "notes on the engine", "--thread", "letters", "--at", "1843-07-10")
    memory = mclient.call("memory.get", {"persona": mclient.call(
        "persona.list", {"query": "Ada"})["items"][0]["id"], "id": added.strip()})
    assert (memory["thread"], memory["at"]) == ("letters", -3991334400.0)
    assert cli("search", "Ada", "engine", "--thread", "letters").count("engine") == 1


def test_repeated_searches_come_from_the_cache_until_memory_changes(mclient: Client) -> None:
    persona = mclient.call("persona.create", {"name": "Cached"})["id"]
    mclient.call("memory.add", {"persona": persona, "text": "The lighthouse keeper has a cat"})
    params = {"persona": persona, "query": "lighthouse", "limit": 5}

    def search_hits() -> int:
        stats = mclient.call("cache.stats")
        return int(stats["namespaces"]["search"]["hits"])

    first = mclient.call("memory.search", params)
    before = search_hits()
    assert mclient.call("memory.search", params) == first
    assert search_hits() == before + 1
    mclient.call("memory.add", {"persona": persona, "text": "The lighthouse has a red lamp"})
    changed = mclient.call("memory.search", params)
    assert len(changed["items"]) == len(first["items"]) + 1  # the add invalidated the result


def _finished(client: Client, task: str) -> dict[str, Any]:
    """The task once it has finished (task.get until then; the test's timeout bounds it)."""
    while (found := client.call("task.get", {"id": task}))["state"] in ("queued", "running"):
        time.sleep(0.05)
    return dict(found)


def test_compaction_runs_by_itself_and_on_request(home: Path, model_dir: Path) -> None:
    running = start(home, **_settings(model_dir), PAJAMAS_MEMORY_COMPACT_FRAGMENTS="8")
    try:
        with running.client(timeout=60) as client:
            persona = client.call("persona.create", {"name": "Ada"})["id"]
            client.call("memory.list", {"persona": persona})  # opened: each add a fragment
            ids = set()
            for n in range(12):
                ids.add(client.call("memory.add", {"persona": persona, "text": f"fact {n}"})["id"])
                client.call("memory.list", {"persona": persona})  # committed: a fragment each
            automatic = client.call("task.list", {"kind": "memory.compact"})["items"]
            assert automatic and automatic[-1]["title"] == f"compact the memory of {persona}"
            assert _finished(client, automatic[-1]["id"])["state"] == "done"
            task = client.call("memory.maintain", {"persona": persona})["task"]
            done = _finished(client, task)
            assert done["state"] == "done" and done["progress"] == 1.0
            assert client.call("memory.stats", {"persona": persona})["fragments"] <= 2
            listed = client.call("memory.list", {"persona": persona, "limit": 20})["items"]
            assert {m["id"] for m in listed} == ids
            with pytest.raises(NotFound):
                client.call("memory.maintain", {"persona": "nobody"})
    finally:
        assert stop(running.process) == 0


def test_an_exported_model_loads_at_start_before_any_memory_call(mclient: Client) -> None:
    loads: list[dict[str, Any]] = []
    while not loads:  # the memory stage starts the preload; the test's timeout bounds this
        loads = mclient.call("task.list", {"kind": "embedder.load"})["items"]
        time.sleep(0.05)
    assert _finished(mclient, loads[0]["id"])["state"] == "done"
    assert mclient.call("memory.embedder")["ready"]
