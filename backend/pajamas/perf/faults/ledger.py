"""`Ledger`: the writes a hub acknowledged, checked against what it lists after a fault."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any, final

from pajamas.perf.faults.outcome import Outcome
from pajamas.rpc.client import Client


@final
class Ledger:
    """Acknowledged memories (id → text) and every text sent, acknowledged or not."""

    def __init__(self) -> None:
        self.acknowledged: dict[str, str] = {}
        self.sent: set[str] = set()
        self._lock = threading.Lock()

    def sending(self, texts: Iterable[str]) -> None:
        """Texts about to be sent (each unique): after a fault they may be there, at most once."""
        with self._lock:
            self.sent.update(texts)

    def acknowledge(self, ids: list[str], texts: list[str]) -> int:
        """The hub acknowledged these memories; how many are acknowledged now."""
        with self._lock:
            self.acknowledged.update(zip(ids, texts, strict=True))
            return len(self.acknowledged)

    def snapshot(self) -> dict[str, str]:
        """The acknowledged memories so far (a copy: adds may go on)."""
        with self._lock:
            return dict(self.acknowledged)

    def compare(self, client: Client, persona: str, outcome: Outcome, *,
                acknowledged: dict[str, str] | None = None) -> None:
        """Check that every acknowledged memory is there exactly once, and nothing unsent is.

        A memory merged by consolidation counts as there when a listed memory holds it in
        metadata "merged"; it must then not be listed itself.  Texts are compared too: an add
        replayed under a new id would show as its text twice.
        """
        known = self.snapshot() if acknowledged is None else acknowledged
        listed = list(client.iter_items("memory.list", {"persona": persona}, page=500))
        ids = Counter(m["id"] for m in listed)
        merged = Counter(entry["id"] for m in listed for entry in _merged(m))
        texts = Counter(m["text"] for m in listed)
        outcome.acknowledged += len(known)
        for memory_id, text in known.items():
            found = ids[memory_id] + merged[memory_id]
            if found == 0:
                outcome.lost += 1
            elif found > 1 or texts[text] > 1:
                outcome.duplicated += 1
        stray = [m["text"] for m in listed if m["text"] not in self.sent]
        if stray:
            outcome.fail(f"{len(stray)} memories no one sent, e.g. {stray[0]!r}")
        doubled = [t for t, n in texts.items() if n > 1 and t in self.sent]
        unacked = [t for t in doubled if t not in known.values()]
        if unacked:
            outcome.fail(f"{len(unacked)} unacknowledged adds stored twice, e.g. {unacked[0]!r}")


def _merged(memory: dict[str, Any]) -> list[dict[str, Any]]:
    metadata = memory.get("metadata") or {}
    if isinstance(metadata, str):
        metadata = json.loads(metadata)
    found = metadata.get("merged", [])
    return found if isinstance(found, list) else []
