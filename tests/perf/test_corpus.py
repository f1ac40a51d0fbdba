"""The synthetic corpus the memory benchmarks use without LoCoMo: fixed by its seed, varied, and
chosen only when the setting locomo_path is empty."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from pathlib import Path

import pytest

from pajamas.config import Settings
from pajamas.errors import ConfigError
from pajamas.perf import corpus
from pajamas.perf.benchmark import Context
from pajamas.perf.benchmarks.memory import LOCOMO_QUESTIONS, texts

TURN: re.Pattern[str] = re.compile(r"\[(\d{1,2}) ([A-Z][a-z]+), (\d{4})\] ([A-Z][a-z]+): (.+)")


@pytest.fixture(scope="module")
def turns() -> list[str]:
    return corpus.turns()


def test_the_same_seed_gives_the_same_turns_and_another_seed_others(turns: list[str]) -> None:
    assert corpus.turns() == turns and len(turns) == corpus.TURNS == 5_882
    assert corpus.turns(300) == turns[:300]  # a shorter corpus is the longer one's start
    assert corpus.questions(50) == corpus.questions(50)
    other = corpus.turns(300, seed=7)
    assert len(set(other) & set(turns[:300])) < 10


def test_turns_are_dated_chat_lines_of_realistic_length(turns: list[str]) -> None:
    said = [TURN.fullmatch(turn) for turn in turns]
    assert all(said), next(t for t, m in zip(turns, said, strict=True) if not m)
    words = [len(match[5].split()) for match in said if match]
    assert min(words) >= 8 and max(words) <= 50
    assert 15 <= statistics.median(words) <= 30  # LoCoMo's median turn: 22 words
    assert sum(n > 30 for n in words) > len(words) / 20  # and some long ones
    assert len({match.group(1, 2, 3) for match in said if match}) > 150  # many dates
    assert len(set(turns)) > 0.99 * len(turns)


def test_the_vocabulary_varies_like_chat(turns: list[str]) -> None:
    bodies = [turn.split(": ", 1)[1] for turn in turns]
    vocabulary = Counter(w for body in bodies for w in re.findall(r"[a-z']+", body.lower()))
    assert len(vocabulary) > 600
    assert len({body.split()[0] for body in bodies}) > 60  # many ways to start a turn
    speakers = Counter(turn.split("] ")[1].split(":")[0] for turn in turns)
    assert len(speakers) > 12 and max(speakers.values()) < len(turns) / 4
    # entities come back across turns (a speaker's pet, town, family): full-text search has
    # repeated names to match, as in a real chat
    assert sum(count >= 20 for count in vocabulary.values()) > 200


def test_questions_are_distinct_and_ask_about_the_turns(turns: list[str]) -> None:
    asked = corpus.questions(LOCOMO_QUESTIONS)
    assert len(set(asked)) == len(asked) == LOCOMO_QUESTIONS
    assert all(q.endswith("?") for q in asked)
    names = {turn.split("] ")[1].split(":")[0] for turn in turns}
    assert sum(any(name in q for name in names) for q in asked) == len(asked)
    assert not set(asked) & {turn.split(": ", 1)[1] for turn in turns}  # in other words
    with pytest.raises(ValueError, match="distinct questions"):
        corpus.questions(5_000, over=100)


def test_without_locomo_path_the_benchmarks_take_the_synthetic_corpus(tmp_path: Path) -> None:
    chosen = texts(Context(tmp_path))
    assert chosen.corpus == "synthetic" and chosen.extra == {"corpus": "synthetic"}
    assert chosen.turns == corpus.turns() and len(chosen.questions) == LOCOMO_QUESTIONS
    missing = Settings(locomo_path=str(tmp_path / "missing.json"))
    with pytest.raises(ConfigError, match="locomo_path"):
        texts(Context(tmp_path, settings=missing))
