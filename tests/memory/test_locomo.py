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
    assert read[0].dia_id == "D1:1" and read[0].text.startswith("[8 May, 2023] Caroline: ")
    assert any("[shares a photo: " in turn.text for turn in read)


@pytest.mark.shared_data
def test_a_turn_has_the_two_turns_before_it_in_its_session_as_context(
        conversations: list[dict[str, Any]]) -> None:
    first = conversations[0]["conversation"]
    said = [f"{t['speaker']}: {t['text']}" for t in first["session_1"][:3]]
    read = list(turns(conversations[0]))
    assert [t.context for t in read[:4]] == ["", said[0], f"{said[0]} {said[1]}",
                                             f"{said[1]} {said[2]}"]
    session_2 = next(n for n, t in enumerate(read) if t.dia_id == "D2:1")
    assert read[session_2].context == ""  # a session starts afresh
    assert all("[" not in t.context[:1] for t in read)  # contexts carry no dates


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
