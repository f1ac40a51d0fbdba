"""Reciprocal rank fusion of the vector and text rankings, then importance and recency weights.

RRF scores a memory by Σ weight / (k + rank) over the rankings that found it (rank from 1), so
scores on different scales (cosine, BM25) combine without calibration.  The final score is
then multiplied by ``1 + importance_weight * importance`` and by
``(1 - recency_weight) + recency_weight * 0.5 ** (age / half_life)``; both weights default to
0, which leaves the fused order as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pajamas.memory.vectors import Ranked

DAY_S = 86_400.0


@dataclass(frozen=True)
class Weights:
    """How the final score is made (the settings memory_rrf_k, memory_*_weight, ...)."""

    rrf_k: float = 20.0
    vector: float = 0.7
    text: float = 1.0
    importance: float = 0.0
    recency: float = 0.0
    half_life_days: float = 30.0


def fuse(rankings: Sequence[tuple[Ranked, float]], k: float) -> Ranked:
    """The rankings fused by weighted reciprocal rank, best first (ties: the first seen)."""
    scores: dict[str, float] = {}
    for ranked, weight in rankings:
        for rank, (memory_id, _) in enumerate(ranked, start=1):
            scores[memory_id] = scores.get(memory_id, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


def reweigh(ranked: Ranked, rows: dict[str, dict[str, float]], weights: Weights,
            now: float) -> Ranked:
    """ranked with importance and recency applied (rows hold importance and `at`)."""
    if weights.importance == 0 and weights.recency == 0:
        return ranked
    rescored = [(memory_id, score * _factor(rows[memory_id], weights, now))
                for memory_id, score in ranked if memory_id in rows]
    return sorted(rescored, key=lambda item: -item[1])


def _factor(row: dict[str, float], weights: Weights, now: float) -> float:
    age_days = max(0.0, now - row["at"]) / DAY_S
    decay = 0.5 ** (age_days / weights.half_life_days)
    return float((1 + weights.importance * row["importance"])
                 * ((1 - weights.recency) + weights.recency * decay))
