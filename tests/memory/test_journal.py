"""The add journal: framing, torn tails, and replay into a real store, idempotent."""

from __future__ import annotations

import threading
import zlib
from pathlib import Path

import lancedb
import msgpack
import numpy as np
import pytest

from pajamas.embedding.service import EmbeddingService
from pajamas.errors import Internal
from pajamas.memory.early import EarlyAdds
from pajamas.memory.journal import HEADER, Journal, Journals, Record, whole_records
from pajamas.memory.model import NewMemory
from pajamas.memory.store import MemoryStore
from pajamas.memory.table import MemoryTable
from tests.memory.stores import Clock, new, opened

A, B = "persona-a", "persona-b"


def record(*texts: str, model: str = "test-model", seed: int = 0) -> Record:
    vectors = np.random.default_rng(seed).random((len(texts), 4), dtype=np.float32)
    rows = [{"id": f"id-{seed}-{n}", "text": text, "metadata": f'{{"n": {n}}}',
             "importance": 0.25, "context": None if n else "before"}
            for n, text in enumerate(texts)]
    return Record(created_at=1_000.0 + seed, model=model, rows=rows,  # type: ignore[arg-type]
                  vectors=vectors)


def same(a: Record, b: Record) -> bool:
    return ((a.created_at, a.model, a.rows) == (b.created_at, b.model, b.rows)
            and np.array_equal(a.vectors, b.vectors))


def test_records_round_trip_through_the_file(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal" / "p.journal")
    assert journal.replay() == []
    written = [record("one", seed=1), record("two", "three", seed=2)]
    for each in written:
        journal.append(each)
    journal.close()
    read = Journal(journal.path).replay()
    assert len(read) == 2 and all(same(a, b) for a, b in zip(read, written, strict=True))


@pytest.mark.parametrize("tail", [
    "half a header", "a header without its payload", "half a payload", "a wrong checksum",
    "zeros"])
def test_a_torn_tail_is_left_out_and_cut_off_by_the_next_append(tmp_path: Path,
                                                                tail: str) -> None:
    path = tmp_path / "p.journal"
    journal = Journal(path)
    journal.append(record("kept", seed=1))
    journal.close()
    whole = path.read_bytes()
    torn = record("torn", seed=2).encode()
    garbage = {"half a header": torn[:5], "a header without its payload": torn[:HEADER.size],
               "half a payload": torn[:len(torn) // 2],
               "a wrong checksum": torn[:4] + bytes([torn[4] ^ 1]) + torn[5:],
               "zeros": bytes(64)}[tail]
    path.write_bytes(whole + garbage)
    assert [r.rows[0]["text"] for r in Journal(path).replay()] == ["kept"]
    later = Journal(path)
    later.append(record("after", seed=3))
    later.close()
    assert [r.rows[0]["text"] for r in Journal(path).replay()] == ["kept", "after"]
    assert len(path.read_bytes()) == len(whole) + len(record("after", seed=3).encode())


def test_whole_records_stop_at_the_first_bad_one(tmp_path: Path) -> None:
    frames = [record(str(n), seed=n).encode() for n in range(3)]
    bad = bytearray(frames[1])
    bad[-1] ^= 0xFF  # the second record's payload is corrupt: the third is after it
    payloads, end = whole_records(frames[0] + bytes(bad) + frames[2])
    assert len(payloads) == 1 and end == len(frames[0])


def test_a_record_that_passes_its_checksum_but_does_not_decode_is_an_error(
        tmp_path: Path) -> None:
    payload = msgpack.packb({"created_at": 1.0})
    path = tmp_path / "p.journal"
    path.write_bytes(HEADER.pack(len(payload), zlib.crc32(payload)) + payload)
    with pytest.raises(Internal, match="does not decode"):
        Journal(path).replay()
    assert path.exists()


def test_journals_list_their_personas_and_remove_them(tmp_path: Path) -> None:
    journals = Journals(tmp_path / "journal")
    assert journals.personas() == []
    journals.of("b").append(record("x"))
    journals.of("a").append(record("y"))
    assert journals.personas() == ["a", "b"]
    journals.remove("a")
    assert journals.personas() == ["b"] and not (tmp_path / "journal" / "a.journal").exists()


def early_adds(folder: Path) -> EarlyAdds:
    return EarlyAdds(Journals(folder / "journal"), Clock())


def count(store: MemoryStore, persona: str) -> dict[str, int]:
    """How many times each id is in persona's table."""
    page = store.page(persona, offset=0, limit=1000)
    counts: dict[str, int] = {}
    for item in page["items"]:
        counts[item["id"]] = counts.get(item["id"], 0) + 1
    return counts


def test_replay_adds_the_journaled_rows_once_even_when_the_journal_survives(
        tmp_path: Path, embeddings: EmbeddingService) -> None:
    early = early_adds(tmp_path)
    first = early.add(A, [new("Caroline adopted a dog", 0.9, kind="pet")], embeddings)
    batch = early.add(A, [new("Melanie paints"), NewMemory(text="Jon runs", metadata={},
                                                           importance=0.5, context="sport")],
                      embeddings)
    assert first is not None and batch is not None
    path = tmp_path / "journal" / f"{A}.journal"
    saved = path.read_bytes()
    with opened(tmp_path / "memory", embeddings) as store:
        early.take_over(store)
        assert not path.exists()
        assert early.add(A, [new("too late")], embeddings) is None  # the store has it now
        ids = first + batch
        assert count(store, A) == dict.fromkeys(ids, 1)
        memory = store.get(A, first[0])
        assert memory["metadata"] == {"kind": "pet"} and memory["importance"] == pytest.approx(0.9)
        found = store.search(A, "dog", mode="vector", offset=0, limit=1)["items"]
        assert found[0]["id"] == first[0]
        assert store.search(A, "sport", mode="text", offset=0, limit=1)["items"][0]["id"] == \
            batch[1]
        path.write_bytes(saved)  # a crash after the commit, before the journal's removal
        early_adds(tmp_path).take_over(store)
        assert count(store, A) == dict.fromkeys(ids, 1) and not path.exists()


def test_rows_a_table_refuses_keep_their_journal(tmp_path: Path,
                                                 embeddings: EmbeddingService) -> None:
    journals = Journals(tmp_path / "journal")
    vectors = embeddings.embed(["from another model"])
    rows = [{"id": "x1", "text": "from another model", "metadata": "{}", "importance": 0.5,
             "context": None}]
    journals.of(A).append(Record(created_at=1.0, model="another-model",
                                 rows=rows, vectors=vectors))  # type: ignore[arg-type]
    journals.of("deleted-persona").append(record("gone"))
    early = EarlyAdds(journals, Clock())
    [kept_b] = early.add(B, [new("B's table holds another model's vectors")],
                         embeddings) or ["none"]
    saved = {p: journals.of(p).path.read_bytes() for p in (A, B)}
    journals.close()
    MemoryTable.open(lancedb.connect(str(tmp_path / "memory")), B, "another-model",
                     embeddings.dimension)
    with opened(tmp_path / "memory", embeddings) as store:
        EarlyAdds(Journals(tmp_path / "journal"), Clock()).take_over(store)
        assert {p: journals.of(p).path.read_bytes() for p in (A, B)} == saved
        assert count(store, A) == {}
    assert Journals(tmp_path / "journal").personas() == [A, B]  # the deleted persona's is gone
    assert [row["id"] for r in journals.of(B).replay() for row in r.rows] == [kept_b]


def test_adds_racing_the_takeover_all_land_once(tmp_path: Path,
                                                embeddings: EmbeddingService) -> None:
    early = early_adds(tmp_path)
    acked: list[str] = []
    with opened(tmp_path / "memory", embeddings) as store:
        started = threading.Barrier(5)

        def adder(n: int) -> None:
            started.wait()
            for k in range(10):
                item = [new(f"racing memory {n}-{k}")]
                acked.extend(early.add(A, item, embeddings) or store.add(A, item))

        threads = [threading.Thread(target=adder, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        started.wait()
        early.take_over(store)
        for thread in threads:
            thread.join()
        assert len(acked) == 40 and count(store, A) == dict.fromkeys(acked, 1)
        assert not (tmp_path / "journal" / f"{A}.journal").exists()


def test_pending_adds_leave_the_journal_once_committed_and_a_failure_is_kept(
        tmp_path: Path) -> None:
    from pajamas.memory.pending import Pending

    path = tmp_path / "p.journal"
    pending, queued = Pending(Journal(path), "p"), []
    records = [record(f"memory {n}", seed=n) for n in range(3)]
    for n, each in enumerate(records):
        pending.append(each, lambda n=n: queued.append(n))
    assert queued == [0, 1, 2] and pending.waiting
    pending.committed(2)
    pending.forget_committed()  # before a delete: the committed ones must not come back
    kept = Journal(path).replay()
    assert len(kept) == 1 and same(kept[0], records[2]) and pending.waiting
    pending.committed(1)
    assert not pending.waiting and path.stat().st_size == 0
    pending.append(records[0], lambda: None)
    pending.failed(OSError("disk full"))
    with pytest.raises(Internal, match="disk full"):
        pending.check()
    assert len(Journal(path).replay()) == 1  # kept for the next start
    pending.close()
