"""Export and import of memories (JSONL and Parquet) on real tables, and through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pajamas.embedding.service import EmbeddingService
from pajamas.errors import InvalidParams
from pajamas.memory.store import MemoryStore
from pajamas.memory.transfer import export, import_records, read
from tests.conftest import core_env, start, stop
from tests.memory.stores import new, opened, progress

A, B = "persona-a", "persona-b"


@pytest.fixture
def store(tmp_path: Path, embeddings: EmbeddingService) -> Iterator[MemoryStore]:
    with opened(tmp_path / "memory", embeddings) as s:
        yield s


def fill(store: MemoryStore) -> list[str]:
    return store.add(A, [new("Caroline adopted a dog", 0.9, kind="pet", tags=["a"]),
                         new("Melanie paints sunsets", 0.2)]) + store.add(
        A, [new("Ünïcode text survives: 雨")])


def copy(store: MemoryStore, path: Path, persona: str = B,
         on_conflict: str = "skip") -> dict[str, object]:
    return import_records(store.writer(persona), store.embeddings, read(path, 5_000.0),
                          on_conflict=on_conflict, progress=progress)  # type: ignore[arg-type]


def fields(store: MemoryStore, persona: str) -> list[dict[str, object]]:
    items = store.page(persona, offset=0, limit=100)["items"]
    return sorted(({k: v for k, v in m.items() if k != "persona"} for m in items),
                  key=lambda m: str(m["id"]))


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_a_round_trip_keeps_every_field(store: MemoryStore, tmp_path: Path, suffix: str) -> None:
    fill(store)
    path = tmp_path / f"out{suffix}"
    written = export(store.writer(A).table, path, include_vectors=False, progress=progress)
    assert written == {"path": str(path), "format": suffix[1:], "count": 3}
    result = copy(store, path)
    assert result == {"imported": 3, "skipped": 0, "replaced": 0, "embedded": 3}
    assert fields(store, B) == fields(store, A)
    found = store.search(B, "a pet dog", mode="vector", offset=0, limit=1)["items"][0]
    assert found["text"] == "Caroline adopted a dog"  # re-embedded: vector search works


def test_jsonl_is_one_memory_a_line(store: MemoryStore, tmp_path: Path) -> None:
    fill(store)
    path = tmp_path / "out.jsonl"
    export(store.writer(A).table, path, include_vectors=True, progress=progress)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    dog = next(line for line in lines if line["text"] == "Caroline adopted a dog")
    assert len(lines) == 3 and dog["metadata"] == {"kind": "pet", "tags": ["a"]}
    assert set(dog) == {"id", "text", "metadata", "importance", "at", "created_at",
                        "updated_at", "accessed_at", "model", "vector"}  # no thread: none
    assert len(dog["vector"]) == store.embeddings.dimension
    assert copy(store, path)["embedded"] == 0  # same model: the vectors are reused


def test_conflicts_are_skipped_or_replaced(store: MemoryStore, tmp_path: Path) -> None:
    ids = fill(store)
    path = tmp_path / "out.jsonl"
    export(store.writer(A).table, path, include_vectors=True, progress=progress)
    store.update(A, ids[0], text="Caroline adopted a cat")
    assert copy(store, path, A) == {"imported": 0, "skipped": 3, "replaced": 0, "embedded": 0}
    assert store.get(A, ids[0])["text"] == "Caroline adopted a cat"
    assert copy(store, path, A, "replace")["replaced"] == 3
    assert store.get(A, ids[0])["text"] == "Caroline adopted a dog"
    assert store.page(A, offset=0, limit=10)["total"] == 3
    top = store.search(A, "a pet dog", mode="vector", offset=0, limit=1)["items"][0]
    assert top["id"] == ids[0]  # the index holds the replaced row's vector, once


def test_a_bad_file_names_its_lines_and_writes_nothing(store: MemoryStore,
                                                       tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([
        json.dumps({"text": "fine"}), "", "{not json",
        json.dumps({"text": "ok", "importance": 3}),
        json.dumps({"text": "x", "colour": "red"}),
        json.dumps({"id": "same", "text": "one"}), json.dumps({"id": "same", "text": "two"}),
    ]), encoding="utf-8")
    with pytest.raises(InvalidParams) as caught:
        copy(store, path)
    message = caught.value.message
    assert "line 3: not JSON" in message and "line 4: importance" in message
    assert "line 5: unknown fields ['colour']" in message and "repeats line 6" in message
    assert "line 1" not in message and "nothing was written" in message
    assert store.page(B, offset=0, limit=10)["total"] == 0


def test_vectors_of_another_model_are_embedded_again(store: MemoryStore,
                                                      tmp_path: Path) -> None:
    path = tmp_path / "other.jsonl"
    path.write_text(json.dumps({"id": "m1", "text": "Caroline adopted a dog", "model": "other",
                                "vector": [0.5] * store.embeddings.dimension,
                                "created_at": 10.0}) + "\n", encoding="utf-8")
    assert copy(store, path)["embedded"] == 1
    assert store.get(B, "m1")["created_at"] == 10.0


def test_a_suffix_must_name_the_format(store: MemoryStore, tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("text\n", encoding="utf-8")
    with pytest.raises(InvalidParams, match=r"\.jsonl or \.parquet"):
        read(tmp_path / "x.csv", 0.0)


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pajamas", *args], env=core_env(home),
                          capture_output=True, text=True, timeout=120)


def test_the_cli_exports_and_imports_by_persona_name(home: Path, model_dir: Path,
                                                     tmp_path: Path) -> None:
    core = start(home, PAJAMAS_EMBEDDING_MODEL_DIR=str(model_dir),
                 PAJAMAS_REQUEST_TIMEOUT_S="60")
    try:
        with core.client(timeout=60) as client:
            ada = client.call("persona.create", {"name": "Ada"})["id"]
            client.call("persona.create", {"name": "Bob"})
            client.call("memory.add_batch", {"persona": ada, "items": [
                {"text": "Ada wrote the first program"}, {"text": "Ada liked poetry"}]})
        out = tmp_path / "ada.jsonl"
        exported = cli(home, "memory", "export", "Ada", "-o", str(out))
        assert exported.returncode == 0, exported.stderr
        assert json.loads(exported.stdout.splitlines()[-1])["count"] == 2
        imported = cli(home, "memory", "import", "Bob", str(out))
        assert imported.returncode == 0, imported.stderr
        assert json.loads(imported.stdout.splitlines()[-1])["imported"] == 2
        out.write_text("{bad\n", encoding="utf-8")
        failed = cli(home, "memory", "import", "Bob", str(out))
        assert failed.returncode == 2 and "line 1: not JSON" in failed.stderr
    finally:
        assert stop(core.process) == 0


def test_the_context_full_text_search_sees_survives(store: MemoryStore, tmp_path: Path) -> None:
    from pajamas.memory.model import NewMemory

    store.add(A, [NewMemory(text="Yes, every Sunday!", metadata={}, importance=0.5,
                            context="Do you still go to church?")])
    path = tmp_path / "out.jsonl"
    export(store.writer(A).table, path, include_vectors=False, progress=progress)
    [line] = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    assert line["context"] == "Do you still go to church?"
    copy(store, path)
    found = store.search(B, "church", mode="text", offset=0, limit=5)["items"]
    assert [m["text"] for m in found] == ["Yes, every Sunday!"]


def test_a_vector_must_be_a_flat_list_of_numbers(store: MemoryStore, tmp_path: Path) -> None:
    path = tmp_path / "vectors.jsonl"
    path.write_text("\n".join(json.dumps({"text": "t", "vector": v}) for v in (
        [True, False], ["1"], [[1.0], [1.0, 2.0]], [1.0, None], "1,2")), encoding="utf-8")
    with pytest.raises(InvalidParams) as caught:
        copy(store, path)
    assert all(f"line {n}: vector is a list of numbers" in caught.value.message
               for n in range(1, 6))
