"""LoCoMo evidence recall: one memory per dialogue turn, each question searched in each mode.

Used by the `memory.recall` benchmark.  A conversation becomes one persona's memory, added
the way the protocol tells any client to store a chat: each turn plainly ("speaker: text",
with its shared photo's caption, and its `dia_id` in metadata), its session as its `thread`
and the session's date as its `at`, nothing else.  The hub does the rest (memory/enrich.py:
the date and the thread's previous turns are full-text indexed with each turn).  Every
question of categories 1-4 is searched by vector, text and hybrid, and recall@k is the share
of its evidence turns among the top k.  The data set is test data (CC BY-NC 4.0), never shipped.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

KS: Final = (1, 5, 10)
MODES: Final = ("vector", "text", "hybrid")
CATEGORIES: Final = (1, 2, 3, 4)
_DIA: Final = re.compile(r"D(\d+):(\d+)")


@dataclass(frozen=True)
class Turn:
    """One dialogue turn as a memory."""

    dia_id: str
    text: str
    thread: str
    at: float | None  # None: the session has no readable date


@dataclass
class Result:
    """Per-question hybrid recall@10 (the samples) and every figure by name."""

    samples: list[float] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)


def turns(conversation: dict[str, Any]) -> Iterator[Turn]:
    """The conversation's turns, session by session."""
    talk = conversation["conversation"]
    sessions = sorted((int(key.split("_")[1]), value) for key, value in talk.items()
                      if re.fullmatch(r"session_\d+", key))
    for number, session in sessions:
        at = _time(talk.get(f"session_{number}_date_time", ""))
        for turn in session:
            yield Turn(_normal(turn["dia_id"]) or turn["dia_id"], _said(turn),
                       f"session-{number}", at)


def _time(stamp: str) -> float | None:
    """A session's "1:56 pm on 8 May, 2023" as seconds since 1970 (read as UTC)."""
    try:
        return datetime.strptime(stamp, "%I:%M %p on %d %B, %Y").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def _said(turn: dict[str, Any]) -> str:
    """"speaker: text", with the caption of the photo the turn shares."""
    text = f"{turn['speaker']}: {turn['text']}"
    if turn.get("blip_caption"):
        text += f" [shares a photo: {turn['blip_caption']}]"
    return text


def evidence(qa: dict[str, Any]) -> set[str]:
    """The question's evidence ids, read leniently ("D8:6; D9:17", "D30:05")."""
    found = (_normal(part) for part in re.split(r"[;\s]+", " ".join(qa.get("evidence", []))))
    return {dia for dia in found if dia}


def evaluate(conversations: list[dict[str, Any]], model: Path, root: Path) -> Result:
    """Recall@1/5/10 per mode and category over the conversations."""
    from pajamas.embedding.cache import BoundedEmbeddingCache  # noqa: PLC0415
    from pajamas.embedding.service import EmbeddingService  # noqa: PLC0415
    from pajamas.memory.store import MemoryStore  # noqa: PLC0415

    cache = BoundedEmbeddingCache(max_items=100_000)
    embeddings = EmbeddingService.onnx(model, lambda: cache)
    store = MemoryStore(root, embeddings, require=lambda persona: None)
    sums: dict[str, list[float]] = defaultdict(list)
    try:
        for n, conversation in enumerate(conversations):
            _one(store, f"conversation-{n}", conversation, sums)
    finally:
        store.close()
    figures = {name: sum(values) / len(values) for name, values in sorted(sums.items())}
    return Result(sums["hybrid.r10.all"], figures)


def _one(store: Any, persona: str, conversation: dict[str, Any],
         sums: dict[str, list[float]]) -> None:
    from pajamas.memory.model import NewMemory  # noqa: PLC0415

    store.add(persona, [NewMemory(text=t.text, metadata={"dia_id": t.dia_id}, importance=0.5,
                                  thread=t.thread, at=t.at) for t in turns(conversation)])
    for qa in conversation["qa"]:
        wanted = evidence(qa)
        if qa.get("category") not in CATEGORIES or not wanted:
            continue
        for mode in MODES:
            found = store.search(persona, qa["question"], mode=mode, offset=0, limit=max(KS))
            ranked = [item["metadata"].get("dia_id") for item in found["items"]]
            for k in KS:
                score = len(wanted & set(ranked[:k])) / len(wanted)
                sums[f"{mode}.r{k}.all"].append(score)
                sums[f"{mode}.r{k}.cat{qa['category']}"].append(score)


def _normal(text: str) -> str | None:
    match = _DIA.fullmatch(text.strip())
    return f"D{int(match[1])}:{int(match[2])}" if match else None
