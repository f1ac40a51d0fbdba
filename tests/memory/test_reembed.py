"""A change of embedding model: a clear conflict, then memory.reembed, through a real core."""

from __future__ import annotations

from pathlib import Path

import lancedb
import pyarrow as pa
import pytest

from pajamas.errors import Conflict, NotFound
from pajamas.memory.schema import schema
from tests.memory.stores import before_threads, finished, memory_core

FAKE_DIMENSION = 8


def old_table(home: Path, persona: str) -> None:
    """The persona's table as a fake model of 8 dimensions left it (we own this border)."""
    db = lancedb.connect(str(home / "memory"))
    rows = pa.table({
        "id": ["m1", "m2", "m3"],
        "text": ["Caroline adopted a dog", "Melanie paints sunsets", "The report is due Friday"],
        "metadata": ['{"n": 1}', "{}", '{"superseded_at": 50.0, "superseded_by": "m1"}'],
        "importance": pa.array([0.9, 0.5, 0.5], pa.float32()),
        "created_at": [10.0, 20.0, 30.0], "updated_at": [10.0, 20.0, 30.0],
        "accessed_at": [10.0, 20.0, 30.0], "model": ["fake-model"] * 3,
        "vector": pa.FixedSizeListArray.from_arrays(
            pa.array([0.1] * 3 * FAKE_DIMENSION, pa.float32()), FAKE_DIMENSION),
    }, schema=before_threads(schema("fake-model", FAKE_DIMENSION)))
    db.create_table(persona, data=rows)


def test_a_changed_model_is_a_conflict_until_reembedded(home: Path, model_dir: Path) -> None:
    with memory_core(home, model_dir) as client:
        ada = client.call("persona.create", {"name": "Ada"})["id"]
        (home / "memory").mkdir(exist_ok=True)
        old_table(home, ada)
        for method, params in (("memory.search", {"query": "dog"}),
                               ("memory.add", {"text": "more"})):
            with pytest.raises(Conflict) as caught:
                client.call(method, {"persona": ada, **params})
            assert "fake-model" in caught.value.message
            assert "re-embed" in caught.value.message
            assert caught.value.data["hint"] == "memory.reembed"
        view = finished(client, client.call("memory.reembed", {"persona": ada}))
        assert view["state"] == "done", view["error"]
        assert view["result"]["reembedded"] == 3 and view["result"]["dimension"] == 384
        top = client.call("memory.search", {"persona": ada, "query": "a pet dog",
                                            "mode": "vector"})
        assert top["items"][0]["id"] == "m1" and top["total"] == 2  # m3 stays superseded
        kept = client.call("memory.get", {"persona": ada, "id": "m1"})
        assert kept["created_at"] == 10.0 and kept["metadata"] == {"n": 1}
        stats = client.call("memory.stats", {"persona": ada})
        assert stats["count"] == 3 and stats["indexed"].get("fts")
        assert client.call("memory.search", {"persona": ada, "query": "sunsets",
                                             "mode": "text"})["items"][0]["id"] == "m2"
        client.call("memory.add", {"persona": ada, "text": "new after the swap"})
        again = finished(client, client.call("memory.reembed", {"persona": ada}))
        assert again["result"]["reembedded"] == 0  # already current: nothing to do
        with pytest.raises(NotFound):
            client.call("memory.reembed", {"persona": "nobody"})
    assert not (home / "memory" / f"{ada}-reembed.lance").exists()

