"""A memory's context: full-text indexed with it, never shown, kept by updates and old tables."""

from __future__ import annotations

from pathlib import Path

import lancedb
import pyarrow as pa
import pytest

from pajamas.embedding.service import EmbeddingService
from pajamas.errors import InvalidParams
from pajamas.memory.dates import day
from pajamas.memory.enrich import SEARCH_TEXT, context_of, search_text
from pajamas.memory.model import NewMemory, check_new
from pajamas.memory.schema import schema
from tests.memory.stores import before_threads, opened

A = "persona-a"
TURN = "Yes, every Sunday with my grandmother!"
CONTEXT = "Melanie: Do you still go to church?"


def turn(text: str, context: str | None = None) -> NewMemory:
    return NewMemory(text=text, metadata={}, importance=0.5, context=context)


def found(store: object, query: str, mode: str = "text") -> list[str]:
    result = store.search(A, query, mode=mode, offset=0, limit=10)  # type: ignore[attr-defined]
    return [item["text"] for item in result["items"]]


def test_search_text_and_context_of_invert_each_other() -> None:
    assert search_text(TURN, CONTEXT) == f"{CONTEXT}\n{TURN}"
    assert search_text(TURN, None) == search_text(TURN, "") == TURN
    assert context_of(search_text(TURN, CONTEXT), TURN) == CONTEXT
    assert context_of(TURN, TURN) is None
    assert context_of(None, TURN) is None


def test_a_bad_context_is_refused_with_its_field() -> None:
    with pytest.raises(InvalidParams, match="context") as raised:
        check_new("text", None, None, where="items[2].", context=42)
    assert raised.value.data["field"] == "items[2].context"
    assert check_new("text", None, None, context="")["context"] is None


def test_a_memory_is_found_by_its_context_but_shows_only_its_text(
        tmp_path: Path, embeddings: EmbeddingService) -> None:
    with opened(tmp_path, embeddings) as store:
        store.add(A, [turn(TURN, CONTEXT), turn("I painted a sunset by the lake"),
                      turn("My church choir sings on Sunday", None)])
        assert set(found(store, "church")) == {TURN, "My church choir sings on Sunday"}
        assert all(CONTEXT not in text for text in found(store, "church", "hybrid"))
        assert TURN in found(store, "church", "hybrid")
        memory_id = store.search(A, "grandmother", mode="text", offset=0,
                                 limit=1)["items"][0]["id"]
        assert store.get(A, memory_id)["text"] == TURN


def test_an_update_keeps_the_context_with_the_new_text(
        tmp_path: Path, embeddings: EmbeddingService) -> None:
    with opened(tmp_path, embeddings) as store:
        memory_id = store.add(A, [turn(TURN, CONTEXT), turn("I painted a sunset")])[0]
        store.update(A, memory_id, text="Yes, on Saturdays now")
        assert found(store, "church") == ["Yes, on Saturdays now"]
        assert found(store, "grandmother") == []
        row = store._table(A).rows([memory_id], ["id", "at", SEARCH_TEXT])[memory_id]
        assert row[SEARCH_TEXT] == f"{CONTEXT}\n[{day(row['at'])}] Yes, on Saturdays now"


def test_a_table_made_before_contexts_is_searched_and_written_as_before(
        tmp_path: Path, embeddings: EmbeddingService) -> None:
    shape = before_threads(schema(embeddings.model_id, embeddings.dimension))
    vector = embeddings.embed(["Caroline adopted a dog"])
    lancedb.connect(str(tmp_path)).create_table(A, data=pa.table({
        "id": ["m1"], "text": ["Caroline adopted a dog"], "metadata": ["{}"],
        "importance": pa.array([0.5], pa.float32()), "created_at": [1.0], "updated_at": [1.0],
        "accessed_at": [1.0], "model": [embeddings.model_id],
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(vector.ravel()),
                                                    embeddings.dimension),
    }, schema=shape))
    with opened(tmp_path, embeddings) as store:
        new_id = store.add(A, [turn(TURN, CONTEXT)])[0]
        assert SEARCH_TEXT not in store._table(A).arrow_schema.names
        assert found(store, "dog") == ["Caroline adopted a dog"]
        assert found(store, "grandmother") == [TURN]
        assert found(store, "church") == []  # the old table has nowhere to keep the context
        store.update(A, new_id, text="Yes, on Saturdays")
        assert found(store, "Saturdays", "hybrid")[0] == "Yes, on Saturdays"
