"""Consolidation: near-duplicates merged into the older memory, contradictions superseded.

The rules use no language model; they are simple on purpose, so their outcome can be foreseen:

- Two memories are compared when their cosine similarity is at least
  `memory_contradiction_similarity` (0.80) or they share a subject key: metadata "key" (else
  "slot"), e.g. {"key": "user.city"}.  Superseded memories take no part.  Memories whose keys
  differ (both set) are about different things and are never paired.
- **contradiction**: similar (≥ 0.80) and saying the same but for a number or a negation: the
  numbers differ (both texts hold numbers, compared as sets) or one text is negated and the
  other not ("not", "no", "never", "…n't"), while their words but numbers and negations match
  at a difflib ratio ≥ 0.8 ("Melanie has 2 children" / "Melanie has 3 children").
  Without that last condition, a LoCoMo conversation's own turns were "contradictions" by the
  hundred: turns about one topic are that similar.
- **duplicate**: no contradiction, cosine ≥ `memory_duplicate_similarity` (0.95), and the
  texts' words (lower case, numbers included, punctuation left out) match at a difflib ratio
  ≥ 0.8.  Ratios are taken over words, not characters: as strict, and fast enough for the
  thousands of similar pairs a conversation has.
- **same key**: memories with the same key that are not duplicates replace one another: each
  older one is superseded by the next newer; the newest is current.

A duplicate is merged into the oldest memory of its group: that keeps its text and vector,
gains the metadata keys it lacked (its own values win), the higher importance, and "merged":
[{"id", "text", "created_at", "metadata"}] of every memory merged into it; those are deleted.
A contradicted memory is not deleted: its metadata gets "superseded_by" (the newer memory's
id) and "superseded_at" (that memory's created_at: when the new fact arrived), so search
leaves it out except for a point in time before then (see superseded.py).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import numpy.typing as npt

from pajamas.errors import InvalidParams
from pajamas.memory.model import Memory, encode_metadata
from pajamas.memory.superseded import SUPERSEDED_AT, SUPERSEDED_BY

if TYPE_CHECKING:
    from pajamas.memory.store import MemoryStore
    from pajamas.memory.table import MemoryTable
    from pajamas.memory.writer import Writer

Progress = Callable[[float, str], None]
Relation = Literal["duplicate", "contradiction"] | None
SAME_TEXT: Final = 0.8  # difflib ratio of the words of two texts that say the same thing
KEYS: Final = ("key", "slot")
CHUNK: Final = 256  # rows compared at once with COLUMNS others: 8 MB of similarities
COLUMNS: Final = 8192
WRITES: Final = 50  # memories changed per writer call, so that adds interleave
_NUMBER: Final = re.compile(r"\d+(?:[.,]\d+)?")
_WORD: Final = re.compile(r"[a-z']+")
_TOKEN: Final = re.compile(r"[a-z0-9']+")
_NEGATIONS: Final = frozenset({"not", "no", "never", "none", "nobody", "nothing", "neither",
                               "nor", "cannot"})


@dataclass(frozen=True)
class Rules:
    """The similarity thresholds (settings memory_duplicate_similarity and _contradiction_)."""

    duplicate: float = 0.95
    related: float = 0.80


@dataclass
class Rows:
    """Every memory in the table's order, with its age rank; superseded ones are not live."""

    ids: list[str]
    texts: list[str]
    keys: list[str | None]
    created: npt.NDArray[np.float64]
    vectors: npt.NDArray[np.float32]  # as stored, not normalised (no second copy)
    norms: npt.NDArray[np.float32]
    age: npt.NDArray[np.intp]  # age[i] < age[j]: row i is older than row j
    order: list[int]  # the live rows, oldest first

    def older(self, a: int, b: int) -> tuple[int, int]:
        """(the older, the newer) of rows a and b."""
        return (a, b) if self.age[a] < self.age[b] else (b, a)


@dataclass
class Plan:
    """What consolidation will do: merges (oldest → newer ids) and supersessions (old → new)."""

    merges: dict[str, list[str]] = field(default_factory=dict)
    superseded: dict[str, tuple[str, float]] = field(default_factory=dict)  # → (by, at)


def consolidate(writer: Writer, rules: Rules, clock: Callable[[], float],
                progress: Progress) -> dict[str, int]:
    """Merge duplicates and supersede contradictions: {"merged", "superseded", "examined"}."""
    rows = load(writer.table)
    progress(0.05, f"comparing {len(rows.order)} memories")
    planned = plan(rows, rules, lambda f: progress(0.05 + 0.75 * f, "comparing memories"))
    progress(0.8, f"merging {sum(map(len, planned.merges.values()))}, superseding "
                  f"{len(planned.superseded)}")
    merged = apply_merges(writer, planned.merges, clock())
    superseded = apply_supersessions(writer, planned.superseded, clock())
    return {"merged": merged, "superseded": superseded, "examined": len(rows.order)}


def load(table: MemoryTable) -> Rows:
    """The table's memories (see `Rows`)."""
    data = table.scan(["id", "text", "metadata", "created_at", "vector"])
    hidden = table.superseded.hidden(None)
    ids, created = data["id"].to_pylist(), data["created_at"].to_numpy()
    oldest_first = np.lexsort((np.array(ids, dtype=object), created))
    age = np.empty(len(ids), np.intp)
    age[oldest_first] = np.arange(len(ids))
    flat = data["vector"].combine_chunks().flatten().to_numpy(zero_copy_only=False)
    vectors = np.asarray(flat, np.float32).reshape(len(ids), -1)
    metadata = data["metadata"].to_pylist()
    return Rows(ids, data["text"].to_pylist(), [subject(json.loads(m)) for m in metadata],
                created, vectors, np.linalg.norm(vectors, axis=1).clip(1e-12), age,
                [int(n) for n in oldest_first if ids[n] not in hidden])


def subject(metadata: dict[str, Any]) -> str | None:
    """The memory's subject key: metadata "key", else "slot" (as JSON, any value)."""
    for name in KEYS:
        if name in metadata:
            return json.dumps(metadata[name], sort_keys=True)
    return None


def plan(rows: Rows, rules: Rules, progress: Callable[[float], None]) -> Plan:
    """Apply the rules to every pair of live rows (see the module's docstring)."""
    groups = _Groups(rows.age)
    live = np.zeros(len(rows.ids), bool)
    live[rows.order] = True
    contradictions: list[tuple[int, int]] = []
    for a, b, similarity in pairs(rows.vectors, rows.norms, rules.related, progress):
        if live[a] and live[b]:
            older, newer = rows.older(a, b)
            found = relation(rows, older, newer, similarity, rules)
            if found == "duplicate":
                groups.union(older, newer)
            elif found == "contradiction":
                contradictions.append((older, newer))
    planned = Plan()
    for row in rows.order:
        root = groups.find(row)
        if root != row:
            planned.merges.setdefault(rows.ids[root], []).append(rows.ids[row])
    roots = [n for n in rows.order if groups.find(n) == n]
    for older, newer in sorted(contradictions + same_key(rows, roots),
                               key=lambda p: int(rows.age[p[1]])):
        if groups.find(older) == older and groups.find(newer) == newer:
            planned.superseded.setdefault(rows.ids[older],
                                          (rows.ids[newer], float(rows.created[newer])))
    return planned


def pairs(vectors: npt.NDArray[np.float32], norms: npt.NDArray[np.float32], least: float,
          progress: Callable[[float], None]) -> Iterator[tuple[int, int, float]]:
    """(i, j, cosine), i < j, for every pair of rows at least least similar (exact, blocked)."""
    count = len(vectors)
    for start in range(0, count, CHUNK):
        block_rows = slice(start, start + CHUNK)
        for first in range(start, count, COLUMNS):
            columns = slice(first, first + COLUMNS)
            block = vectors[block_rows] @ vectors[columns].T
            block /= norms[block_rows, None] * norms[None, columns]
            block = np.triu(block, start - first + 1)  # only j > i, each pair once
            for row, col in zip(*np.nonzero(block >= least), strict=True):
                yield start + int(row), first + int(col), float(block[row, col])
        progress(min(1.0, (start + CHUNK) / count))


def relation(rows: Rows, older: int, newer: int, similarity: float, rules: Rules) -> Relation:
    """What the newer row is to the older one, by the module's rules."""
    a, b = rows.texts[older], rows.texts[newer]
    if None not in (rows.keys[older], rows.keys[newer]) and rows.keys[older] != rows.keys[newer]:
        return None
    if contradicts(a, b):
        return "contradiction"
    if similarity >= rules.duplicate and same_text(a, b):
        return "duplicate"
    return None


def contradicts(a: str, b: str) -> bool:
    """Whether the texts say the same but for their numbers or a negation."""
    numbers_a, numbers_b = set(_NUMBER.findall(a)), set(_NUMBER.findall(b))
    differ = bool(numbers_a and numbers_b and numbers_a != numbers_b) or negated(a) != negated(b)
    return differ and _alike(_skeleton(a), _skeleton(b))


def _skeleton(text: str) -> list[str]:
    """text's words, lower case, without numbers and negation words."""
    return [w for w in _WORD.findall(text.lower()) if w not in _NEGATIONS
            and not w.endswith("n't")]


def negated(text: str) -> bool:
    """Whether text holds a negation word ("not", "never", "no", "…n't")."""
    return any(w in _NEGATIONS or w.endswith("n't") for w in _WORD.findall(text.lower()))


def same_text(a: str, b: str) -> bool:
    """Whether the words of two texts (lower case, numbers too) match at a ratio ≥ SAME_TEXT."""
    return _alike(_TOKEN.findall(a.lower()), _TOKEN.findall(b.lower()))


def _alike(a: list[str], b: list[str]) -> bool:
    """difflib's ratio ≥ SAME_TEXT, its cheap upper bounds first (most pairs stop there)."""
    if a == b:
        return True
    if 2 * min(len(a), len(b)) < SAME_TEXT * (len(a) + len(b)):  # real_quick_ratio, unbuilt
        return False
    matcher = difflib.SequenceMatcher(None, a, b)
    return matcher.quick_ratio() >= SAME_TEXT and matcher.ratio() >= SAME_TEXT


def same_key(rows: Rows, live: list[int]) -> list[tuple[int, int]]:
    """(older, next newer) among live (oldest first) for the rows sharing a subject key."""
    last: dict[str, int] = {}
    found = []
    for row in live:  # oldest first
        key = rows.keys[row]
        if key is not None:
            if key in last:
                found.append((last[key], row))
            last[key] = row
    return found


class _Groups:
    """Union-find whose root is the oldest row of its group."""

    def __init__(self, age: npt.NDArray[np.intp]) -> None:
        self._parent, self._age = list(range(len(age))), age

    def find(self, row: int) -> int:
        while self._parent[row] != row:
            self._parent[row] = self._parent[self._parent[row]]
            row = self._parent[row]
        return row

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            older, newer = (ra, rb) if self._age[ra] < self._age[rb] else (rb, ra)
            self._parent[newer] = older


# -- writes (through the persona's writer, re-reading each row there) ----------------------

_READ: Final = ["id", "text", "metadata", "importance", "created_at"]


def apply_merges(writer: Writer, merges: dict[str, list[str]], now: float) -> int:
    """Merge each group into its oldest memory; how many memories were merged away."""
    return _batched(writer, merges, partial(_merge, now=now))


def _merge(table: MemoryTable, batch: dict[str, list[str]], *, now: float) -> int:
    fresh = table.rows([*batch, *(i for ids in batch.values() for i in ids)], _READ)
    updates: dict[str, dict[str, Any]] = {}
    gone: list[str] = []
    for target, newer in batch.items():
        present = [fresh[i] for i in newer if i in fresh]
        if target not in fresh or not present:
            continue
        updates[target] = merged_values(fresh[target], present, now)
        gone += [row["id"] for row in present]
    if gone:
        table.merge(updates, gone)  # one commit: a kill keeps every group whole or unmerged
    return len(gone)


def merged_values(target: dict[str, Any], newer: list[dict[str, Any]],
                  now: float) -> dict[str, Any]:
    """The update that merges the newer rows into target (see the module's docstring)."""
    metadata = json.loads(target["metadata"])
    record = list(metadata.get("merged", []))
    for row in newer:
        theirs = json.loads(row["metadata"])
        earlier = theirs.pop("merged", [])  # a merged memory's own merges move along
        record += [{"id": row["id"], "text": row["text"], "created_at": row["created_at"],
                    "metadata": theirs}, *earlier]
        metadata = theirs | metadata
    importance = max([float(target["importance"])] + [float(r["importance"]) for r in newer])
    return {"metadata": encode_metadata(metadata | {"merged": record}),
            "importance": importance, "updated_at": now}


def apply_supersessions(writer: Writer, superseded: dict[str, tuple[str, float]],
                        now: float) -> int:
    """Mark each old memory superseded by its newer one; how many were marked."""
    return _batched(writer, superseded, partial(_supersede, now=now))


def _batched(writer: Writer, items: dict[str, Any],
             write: Callable[[MemoryTable, dict[str, Any]], int]) -> int:
    """write(table, batch) for batches of WRITES items on the writer's thread; the sum."""
    counts: list[int] = []
    keys = list(items)
    for start in range(0, len(keys), WRITES):
        batch = {k: items[k] for k in keys[start:start + WRITES]}
        writer.call(partial(_count, counts, write, batch))
    return sum(counts)


def _count(counts: list[int], write: Callable[[MemoryTable, dict[str, Any]], int],
           batch: dict[str, Any], table: MemoryTable) -> None:
    counts.append(write(table, batch))


def _supersede(table: MemoryTable, batch: dict[str, tuple[str, float]], *, now: float) -> int:
    fresh = table.rows([*batch, *(by for by, _ in batch.values())], ["id", "metadata"])
    marked = 0
    for old, (by, at) in batch.items():
        if old in fresh and by in fresh:
            metadata = json.loads(fresh[old]["metadata"]) | {SUPERSEDED_AT: at, SUPERSEDED_BY: by}
            table.update(old, {"metadata": encode_metadata(metadata), "updated_at": now})
            marked += 1
    return marked


def supersede(store: MemoryStore, persona: str, memory_id: str, by: str, *, at: float | None,
              clock: Callable[[], float]) -> Memory:
    """Mark memory_id superseded by the memory by, at time at (default: by's created_at)."""
    if memory_id == by:
        raise InvalidParams("a memory cannot supersede itself", field="by")
    old, new = store.get(persona, memory_id), store.get(persona, by)
    when = at if at is not None else max(new["created_at"], old["created_at"])
    if when < old["created_at"]:
        raise InvalidParams(f"at ({when}) is before the memory was made ({old['created_at']})",
                            field="at")
    _batched(store.writer(persona), {memory_id: (by, when)}, partial(_supersede, now=clock()))
    return store.get(persona, memory_id)
