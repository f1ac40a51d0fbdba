"""Thread and time: a memory's thread and `at` are kept, filtered on, dated in the full-text
index, and give each turn its thread's previous turns as context, old tables included."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lancedb
import msgpack
import numpy as np
import pyarrow as pa
import pytest

from pajamas.embedding.service import EmbeddingService
from pajamas.errors import InvalidParams
from pajamas.memory.dates import dated, day
from pajamas.memory.enrich import SEARCH_TEXT, context_of, search_text
from pajamas.memory.journal import Record
from pajamas.memory.model import NewMemory, check_new
from pajamas.memory.schema import schema
from pajamas.memory.threads import ThreadTails
from pajamas.memory.transfer import export, import_records, read
from tests.memory.stores import before_threads, opened, progress

A = "persona-a"
MAY_8_2023 = datetime(2023, 5, 8, 14, 0, tzinfo=UTC).timestamp()
JUNE_2_2024 = datetime(2024, 6, 2, 9, 30, tzinfo=UTC).timestamp()


def turn(text: str, thread: str | None = None, at: float | None = None,
         context: str | None = None) -> NewMemory:
    return check_new(text, None, None, thread=thread, at=at, context=context)


def indexed(store: Any, memory_id: str) -> str:
    row = store._table(A).rows([memory_id], ["id", SEARCH_TEXT])[memory_id]
    text: str = row[SEARCH_TEXT]
    return text


# -- the pieces ------------------------------------------------------------------------------

def test_a_date_is_indexed_before_the_text_and_the_context_read_back_without_it() -> None:
    assert day(MAY_8_2023) == "8 May 2023"
    assert day(-3991334400.0) == "10 July 1843"  # before 1970 on every OS
    line = search_text("Yes, every Sunday!", "Do you go to church?", day(MAY_8_2023))
    assert line == "Do you go to church?\n[8 May 2023] Yes, every Sunday!"
    assert context_of(line, "Yes, every Sunday!") == "Do you go to church?"
    assert context_of("[8 May 2023] Yes", "Yes") is None
    assert context_of("before\nYes", "Yes") == "before"  # indexed before dates were
    assert context_of("Yes", "Yes") is None


def test_each_turn_of_a_thread_gets_the_turns_before_it_in_order() -> None:
    reads: list[tuple[str, str]] = []

    def read(persona: str, thread: str) -> list[str]:
        reads.append((persona, thread))
        return ["zero", "one", "two"] if thread == "old" else []

    tails = ThreadTails(read, size=2)
    filled = tails.fill(A, [turn("a", "s1"), turn("b", "s1"), turn("c", "s1"),
                            turn("loose"), turn("mine", "s1", context="given"),
                            turn("d", "old")])
    assert [item.get("context") for item in filled] == [
        None, "a", "a b", None, "given", "one two"]
    assert tails.fill(A, [turn("e", "s1")])[0]["context"] == "c mine"
    assert reads == [(A, "s1"), (A, "old")]  # each thread read once, then kept
    tails.fill(A, [turn("x", "s2")])  # a third thread: the least recently used ("old") goes
    tails.fill(A, [turn("f", "old")])
    assert reads[-1] == (A, "old")
    tails.forget(A)
    tails.fill(A, [turn("g", "s1")])
    assert reads[-1] == (A, "s1")


@pytest.mark.parametrize(("field", "value"), [
    ("thread", ""), ("thread", 7), ("thread", "x" * 257), ("at", -1e12), ("at", "yesterday"),
    ("at", float("inf")), ("at", float("nan")), ("at", True),
])
def test_a_bad_thread_or_time_is_refused_by_name(field: str, value: Any) -> None:
    with pytest.raises(InvalidParams) as caught:
        check_new("text", None, None, **{field: value})
    assert caught.value.data["field"] == field


def test_a_journal_record_keeps_thread_and_time_and_reads_older_records() -> None:
    vectors = np.zeros((1, 4), np.float32)
    record = Record.new([turn("hello", "s1", MAY_8_2023)], ["m1"], vectors, created_at=5.0,
                        model="m")
    row = Record.decode(record.encode()[8:]).rows[0]
    assert (row.get("thread"), row.get("at")) == ("s1", MAY_8_2023)
    older = msgpack.packb({"created_at": 5.0, "model": "m", "dimension": 4, "vectors": bytes(16),
                           "rows": [{"id": "m1", "text": "hello", "metadata": "{}",
                                     "importance": 0.5, "context": None}]})
    row = Record.decode(older).rows[0]  # written before rows had a thread and a time
    assert (row.get("thread"), row.get("at"), row["text"]) == (None, None, "hello")


# -- a store on disk, with the real model ------------------------------------------------------

def test_thread_and_time_are_kept_filtered_and_found_by_their_words(
        tmp_path: Path, embeddings: EmbeddingService) -> None:
    with opened(tmp_path, embeddings) as store:
        question, answer, other = store.add(A, [
            turn("Melanie: Do you still go to church?", "session-1", MAY_8_2023),
            turn("Caroline: Yes, every Sunday with my grandmother!", "session-1", MAY_8_2023),
            turn("Caroline: I started painting again", "session-2", JUNE_2_2024)])
        memory = store.get(A, answer)
        assert (memory["thread"], memory["at"]) == ("session-1", MAY_8_2023)
        assert memory["at"] != memory["created_at"]
        vector = store._table(A).rows([answer], ["id", "vector"])[answer]["vector"]
        assert np.allclose(vector, embeddings.embed([dated(memory["text"], MAY_8_2023)])[0],
                           atol=1e-5)  # the date is embedded with the text
        assert store.get(A, other)["thread"] == "session-2"
        assert indexed(store, answer) == ("Melanie: Do you still go to church?\n"
                                          "[8 May 2023] Caroline: Yes, every Sunday with my "
                                          "grandmother!")

        def texts(query: str, **params: Any) -> list[str]:
            found = store.search(A, query, mode=params.pop("mode", "text"), offset=0,
                                 limit=10, **params)
            return [item["id"] for item in found["items"]]

        assert answer in texts("church")  # by its thread's previous turn
        assert set(texts("May 2023")) == {question, answer}  # by its date
        assert texts("Caroline", thread="session-2") == [other]
        assert set(texts("Caroline", mode="hybrid", thread="session-1")) == {question, answer}
        assert texts("Caroline", mode="hybrid", thread="nowhere") == []
        june = datetime(2023, 6, 1, tzinfo=UTC).timestamp()
        assert set(texts("Caroline", mode="vector", until=june)) == {question, answer}
        assert set(texts("Caroline", mode="vector", since=june)) == {other}

        # A later add to the thread continues it; an edit keeps the date and the context.
        later = store.add(A, [turn("Melanie: That sounds lovely", "session-1", MAY_8_2023 + 60)])[0]
        assert indexed(store, later).startswith("Melanie: Do you still go to church? "
                                                "Caroline: Yes, every Sunday")
        store.update(A, answer, text="Caroline: Yes, on Sundays")
        assert indexed(store, answer) == ("Melanie: Do you still go to church?\n"
                                          "[8 May 2023] Caroline: Yes, on Sundays")

    with opened(tmp_path, embeddings) as again:  # a new start reads the thread's last turns
        next_id = again.add(A, [turn("Caroline: It is!", "session-1")])[0]
        assert indexed(again, next_id).startswith(
            "Caroline: Yes, on Sundays Melanie: That sounds lovely\n")


def test_a_table_made_before_threads_gets_none_and_its_creation_time(
        tmp_path: Path, embeddings: EmbeddingService) -> None:
    shape = before_threads(schema(embeddings.model_id, embeddings.dimension))
    vector = embeddings.embed(["Caroline adopted a dog"])
    lancedb.connect(str(tmp_path)).create_table(A, data=pa.table({
        "id": ["m1"], "text": ["Caroline adopted a dog"], "search_text": ["Caroline adopted a dog"],
        "metadata": ["{}"], "importance": pa.array([0.5], pa.float32()), "created_at": [40.0],
        "updated_at": [40.0], "accessed_at": [40.0], "model": [embeddings.model_id],
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(vector.ravel()),
                                                    embeddings.dimension),
    }, schema=shape.insert(2, pa.field(SEARCH_TEXT, pa.string(), nullable=False))))
    with opened(tmp_path, embeddings) as store:
        old = store.get(A, "m1")
        assert (old["thread"], old["at"]) == (None, 40.0)
        new = store.add(A, [turn("Caroline walks the dog", "walks", MAY_8_2023)])[0]
        assert store.get(A, new)["thread"] == "walks"
        found = store.search(A, "dog", mode="hybrid", offset=0, limit=5, until=100.0)
        assert [item["id"] for item in found["items"]] == ["m1"]


def test_export_and_import_keep_thread_and_time(tmp_path: Path,
                                                embeddings: EmbeddingService) -> None:
    with opened(tmp_path / "a", embeddings) as store:
        first, loose = store.add(A, [turn("Melanie: Do you still go to church?", "s1",
                                          MAY_8_2023), turn("a memory of no thread")])
        path = tmp_path / "out.jsonl"
        export(store.writer(A).table, path, include_vectors=False, progress=progress)
    with opened(tmp_path / "b", embeddings) as copy:
        import_records(copy.writer(A), embeddings, read(path, now=1.0), on_conflict="skip",
                       progress=progress)
        assert (copy.get(A, first)["thread"], copy.get(A, first)["at"]) == ("s1", MAY_8_2023)
        assert copy.get(A, loose)["thread"] is None
