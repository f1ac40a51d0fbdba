"""Backup and restore of a persona through a real core: archive, checksum, model, persona."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

from tests.memory.stores import finished, memory_core


def rewrite(archive: Path, **changes: bytes) -> None:
    """archive with some members' bytes replaced."""
    with zipfile.ZipFile(archive) as old:
        members = {name: old.read(name) for name in old.namelist()}
    with zipfile.ZipFile(archive, "w") as new:
        for name, data in (members | changes).items():
            new.writestr(name, data)


def member(archive: Path, name: str) -> bytes:
    with zipfile.ZipFile(archive) as opened:
        return opened.read(name)


def memories(client: Any, persona: str) -> list[tuple[str, str, Any]]:
    items = client.call("memory.list", {"persona": persona, "limit": 100})["items"]
    return sorted((m["id"], m["text"], m["metadata"]) for m in items)


def test_backup_then_restore_into_a_new_persona(home: Path, model_dir: Path,
                                                tmp_path: Path) -> None:
    with memory_core(home, model_dir) as client:
        ada = client.call("persona.create", {"name": "Ada", "description": "a pioneer"})["id"]
        old, new = client.call("memory.add_batch", {"persona": ada, "items": [
            {"text": "Ada lives in London", "metadata": {"key": "home"}},
            {"text": "Ada moved to Paris", "metadata": {"key": "home"}}]})["ids"]
        client.call("memory.supersede", {"persona": ada, "id": old, "by": new})
        before = memories(client, ada)
        (home / "backups").mkdir()
        killed = home / "backups" / "Ada-20260101T000000.zip.part"  # a killed core's
        killed.write_bytes(b"PK half an archive")
        mine = tmp_path / "download.zip.part"  # another program's, in the user's folder
        mine.write_bytes(b"half a download")
        aside = finished(client, client.call("memory.backup", {
            "persona": ada, "path": str(tmp_path / "ada.zip")}))
        assert aside["state"] == "done" and Path(aside["result"]["path"]).parent == tmp_path
        assert not killed.exists() and mine.read_bytes() == b"half a download"
        view = finished(client, client.call("memory.backup", {"persona": ada}))
        assert view["state"] == "done", view["error"]
        archive = Path(view["result"]["path"])
        assert archive.parent == home / "backups" and view["result"]["count"] == 2
        assert [p.name for p in (home / "backups").iterdir()] == [archive.name]
        manifest = json.loads(member(archive, "manifest.json"))
        assert manifest["count"] == 2 and manifest["dimension"] == 384
        assert manifest["sha256"] == hashlib.sha256(member(archive, "memories.parquet")
                                                    ).hexdigest()
        taken = finished(client, client.call("memory.restore", {"path": str(archive)}))
        assert taken["state"] == "failed" and "Ada" in taken["error"]["message"]
        client.call("persona.delete", {"id": ada})
        restored = finished(client, client.call("memory.restore", {"path": str(archive)}))
        assert restored["state"] == "done", restored["error"]
        result = restored["result"]
        assert result["created"] and result["imported"] == 2 and result["embedded"] == 0
        persona = client.call("persona.get", {"id": result["persona"]})
        assert persona["name"] == "Ada" and persona["description"] == "a pioneer"
        assert memories(client, persona["id"]) == before
        found = client.call("memory.search", {"persona": persona["id"], "query": "where"})
        assert [m["id"] for m in found["items"]] == [new]  # still superseded


def test_restore_checks_the_checksum_and_the_model(home: Path, model_dir: Path,
                                                   tmp_path: Path) -> None:
    with memory_core(home, model_dir) as client:
        ada = client.call("persona.create", {"name": "Ada"})["id"]
        client.call("memory.add", {"persona": ada, "text": "Ada wrote the first program"})
        archive = tmp_path / "ada.zip"
        view = finished(client, client.call("memory.backup", {"persona": ada,
                                                              "path": str(archive)}))
        assert view["result"]["path"] == str(archive)
        parquet = member(archive, "memories.parquet")
        manifest = json.loads(member(archive, "manifest.json"))

        rewrite(archive, **{"memories.parquet": parquet[:-9] + b"corrupted"})
        damaged = finished(client, client.call("memory.restore", {"path": str(archive),
                                                                  "persona": ada}))
        assert damaged["state"] == "failed" and "damaged" in damaged["error"]["message"]

        other = json.dumps(manifest | {"model": "other-model"}).encode()
        rewrite(archive, **{"memories.parquet": parquet, "manifest.json": other})
        refused = finished(client, client.call("memory.restore", {"path": str(archive),
                                                                  "persona": ada}))
        assert refused["error"]["code"] == "conflict"
        assert "reembed" in refused["error"]["message"]
        bob = client.call("persona.create", {"name": "Bob"})["id"]
        done = finished(client, client.call("memory.restore", {
            "path": str(archive), "persona": bob, "reembed": True}))
        assert done["state"] == "done", done["error"]
        assert done["result"]["embedded"] == 1 and not done["result"]["created"]
        assert memories(client, bob) == memories(client, ada)
