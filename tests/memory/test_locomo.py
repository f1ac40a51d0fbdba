"""The LoCoMo reader behind the memory.recall benchmark; on the real data set where marked.

LoCoMo's licence (CC BY-NC 4.0) keeps it out of the repository: the tests that read it are
marked `shared_data` and take it from ../shared/data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pajamas.config import Settings
from pajamas.perf.benchmark import Context
from pajamas.perf.benchmarks.locomo import evidence, turns
from pajamas.perf.benchmarks.memory import locomo, locomo_file
from pajamas.perf.registry import all_benchmarks


@pytest.fixture(scope="module")
def conversations(shared_data: Path) -> list[dict[str, Any]]:
    """The ten LoCoMo conversations."""
    return locomo(shared_data / "locomo10.json")


@pytest.mark.shared_data
def test_every_turn_is_read_with_a_normal_dia_id(conversations: list[dict[str, Any]]) -> None:
    read = [turn for conversation in conversations for turn in turns(conversation)]
    assert len(read) == 5_882
    assert read[0].dia_id == "D1:1" and read[0].text.startswith("Caroline: ")
    assert any("[shares a photo: " in turn.text for turn in read)


@pytest.mark.shared_data
def test_a_turn_is_stored_plainly_with_its_session_and_the_session_s_date(
        conversations: list[dict[str, Any]]) -> None:
    read = list(turns(conversations[0]))
    assert (read[0].thread, read[0].at) == ("session-1", 1683554160.0)  # 1:56 pm, 8 May 2023
    session_2 = next(t for t in read if t.dia_id == "D2:1")
    assert session_2.thread == "session-2" and session_2.at is not None
    assert session_2.at > read[0].at
    every = [t for conversation in conversations for t in turns(conversation)]
    assert all(t.at is not None for t in every)  # every session's date is read


def test_malformed_evidence_ids_are_read_leniently() -> None:
    assert evidence({"evidence": ["D8:6; D9:17", "D30:05"]}) == {"D8:6", "D9:17", "D30:5"}
    assert evidence({"evidence": []}) == set()


@pytest.mark.shared_data
def test_every_scored_question_has_evidence(conversations: list[dict[str, Any]]) -> None:
    questions = [qa for c in conversations for qa in c["qa"]
                 if qa.get("category") in (1, 2, 3, 4) and evidence(qa)]
    assert len(questions) == 1_536


@pytest.mark.shared_data
def test_the_benchmarks_read_the_file_the_setting_names(shared_data: Path,
                                                        tmp_path: Path) -> None:
    named = shared_data / "locomo10.json"
    ctx = Context(tmp_path, settings=Settings(locomo_path=str(named)))
    assert locomo_file(ctx) == named and len(locomo(locomo_file(ctx))) == 10


def test_the_memory_benchmarks_are_in_the_suite() -> None:
    names = {bench.name for bench in all_benchmarks()}
    assert {"memory.add", "memory.add_batch", "memory.search", "memory.embedder_ready",
            "memory.recall"} <= names
