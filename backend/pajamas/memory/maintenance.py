"""The memory maintenance methods: consolidate, supersede, export, import, backup, restore,
reembed, repair.

Each long one checks its params and the persona at once, then runs as a background task
(`{"task": id}`; progress as task.progress events, the summary as the finished task's
result).  Every write goes through the persona's writer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pajamas.memory.model import Memory  # at run time: the registry reads the annotations
from pajamas.rpc.methods import Registry

if TYPE_CHECKING:
    from pajamas.memory.deps import MemoryDeps
    from pajamas.memory.service import MemoryService
    from pajamas.memory.store import MemoryStore
    from pajamas.stages import Slot
    from pajamas.tasks.task import Task

PRIORITY = -1  # behind interactive tasks such as loading the model
LOG_MARGIN_S = 60.0  # a backup trims the since-backup log of adds older than its start less this


def register(registry: Registry, memory: Slot[MemoryService], deps: MemoryDeps) -> None:
    """Add the maintenance methods of memory.*."""
    jobs = _Jobs(memory, deps)
    for name in ("consolidate", "supersede", "export", "import", "backup", "restore",
                 "reembed", "repair"):
        registry.add(f"memory.{name}", getattr(jobs, name.replace("import", "import_")))


class _Jobs:
    """The methods, bound to the memory service and what it depends on (tasks, personas)."""

    def __init__(self, memory: Slot[MemoryService], deps: MemoryDeps) -> None:
        from pajamas.memory.backup import Parts  # noqa: PLC0415

        self._memory, self._deps = memory, deps
        self._parts = Parts()  # the archives being written

    def consolidate(self, persona: str) -> dict[str, Any]:
        """Merge near-duplicate memories and supersede contradicted ones, as a task: {"task"}.

        A duplicate (cosine ≥ memory_duplicate_similarity and nearly the same text) is merged
        into the older memory, which keeps both texts' metadata and lists the merged memories
        in metadata "merged"; the newer is deleted.  A contradiction (cosine ≥
        memory_contradiction_similarity with different numbers or negation, or a newer memory
        with the same metadata "key"/"slot") marks the older superseded ("superseded_at",
        "superseded_by"), not deleted.  The task's result: {"merged", "superseded",
        "examined"}.
        """
        from pajamas.memory.consolidate import Rules, consolidate  # noqa: PLC0415

        store, settings = self._store(), self._deps.settings
        writer = store.writer(persona)
        rules = Rules(duplicate=settings.memory_duplicate_similarity,
                      related=settings.memory_contradiction_similarity)
        return self._submit("memory.consolidate", f"consolidate the memory of {persona}",
                            store, persona,
                            lambda task: consolidate(writer, rules, self._deps.clock,
                                                     task.progress))

    def supersede(self, persona: str, id: str, by: str, at: float | None = None) -> Memory:
        """Mark memory `id` superseded by memory `by` (newer facts replace older); the memory.

        `at` (default: the later created_at of the two) is when it stopped being valid: search
        leaves it out from then on, and `as_of` earlier still finds it.
        """
        from pajamas.memory.consolidate import supersede  # noqa: PLC0415

        store = self._store()
        found = supersede(store, persona, id, by, at=at, clock=self._deps.clock)
        store.changed(persona)
        return found

    def export(self, persona: str, path: str, include_vectors: bool = False) -> dict[str, Any]:
        """Write a persona's memories to a file, as a task: {"task"}.

        `path` is absolute on the core's machine; its suffix names the format: .jsonl (one
        memory a line, metadata as an object) or .parquet.  Every field is written; "vector"
        too with `include_vectors`.  The result: {"path", "format", "count"}.
        """
        from pajamas.memory.transfer import export, format_of, target  # noqa: PLC0415

        chosen = target(path)
        format_of(chosen)
        store = self._store()
        table = store.writer(persona).table
        return self._submit("memory.export", f"export the memory of {persona}", None, persona,
                            lambda task: export(table, chosen, include_vectors=include_vectors,
                                                progress=task.progress))

    def import_(self, persona: str, path: str,
                on_conflict: Literal["skip", "replace"] = "skip") -> dict[str, Any]:
        """Add the memories of a .jsonl or .parquet file (as memory.export writes) as a task.

        {"task"}.  The whole file is checked first: if any line is bad the task fails naming
        the lines, and nothing is written.  Ids and times are kept when given; vectors are
        reused when they come from the loaded model, else the texts are embedded.  An id the
        persona has already is skipped (`on_conflict` "skip") or replaced ("replace").  The
        result: {"imported", "skipped", "replaced", "embedded"}.
        """
        from pajamas.memory.transfer import format_of, import_records, read, source  # noqa: PLC0415

        chosen = source(path)
        format_of(chosen)
        store = self._store()
        writer = store.writer(persona)

        def work(task: Task) -> dict[str, Any]:
            task.progress(0.0, f"checking {chosen.name}")
            records = read(chosen, self._deps.clock())
            return import_records(writer, store.embeddings, records, on_conflict=on_conflict,
                                  progress=task.progress)

        return self._submit("memory.import", f"import {chosen.name} into {persona}", store,
                            persona, work)

    def backup(self, persona: str, path: str | None = None) -> dict[str, Any]:
        """Write a persona's backup archive (a .zip), as a task: {"task"}.

        It holds memories.parquet (every memory with its vector), persona.json and
        manifest.json (model, dimension, count, sha256 of the memories).  `path` defaults to
        <home>/backups/<name>-<time>.zip.  The result: {"path", "count", "sha256", "bytes"}.
        The parts of archives a killed core left in <home>/backups are removed.
        """
        from pajamas.memory.backup import backup  # noqa: PLC0415
        from pajamas.memory.transfer import target  # noqa: PLC0415

        found = self._deps.personas.get().get(persona)
        record: dict[str, Any] = dict(found)
        chosen = target(path) if path is not None else self._default_backup(found["name"])
        store = self._store()
        table = store.writer(persona).table
        embeddings, now = store.embeddings, self._deps.clock()

        def run(task: Task) -> dict[str, Any]:
            with self._parts.writing(chosen):
                self._parts.sweep(self._deps.home / "backups")
                written = backup(table, record, chosen, model=embeddings.model_id,
                                 dimension=embeddings.dimension, now=now,
                                 progress=task.progress)
            # The adds the archive holds leave the since-backup log (a margin for the adds
            # committed while it was read: repair adds each memory once anyway).
            store.trim_since_backup(persona, now - LOG_MARGIN_S)
            return written

        return self._submit("memory.backup", f"back up {found['name']}", None, persona, run)

    def restore(self, path: str, persona: str | None = None,
                reembed: bool = False) -> dict[str, Any]:
        """Restore a backup archive (memory.backup's) as a task: {"task"}.

        Into `persona` (an id) when given, else into a new persona made from the backup's
        record (its name must be free).  The checksum and every memory are checked before
        anything is written; a backup made with another model is refused unless `reembed`.
        The backup's memories replace those with the same id; others stay.  The result:
        {"persona", "created", "imported", "replaced", "embedded"}.
        """
        from pajamas.memory.transfer import source as readable  # noqa: PLC0415

        chosen = readable(path)
        if persona is not None:
            self._deps.personas.get().require(persona)
        store = self._store()
        return self._submit("memory.restore", f"restore {chosen.name}", None, persona or "",
                            lambda task: self._restore(store, chosen, persona, reembed, task))

    def reembed(self, persona: str) -> dict[str, Any]:
        """Re-embed a persona's memory with the loaded model, as a task: {"task"}.

        Needed after a change of embedding model (memory calls then answer `conflict`).  The
        new vectors go into a new table that replaces the old in one commit.  The result:
        {"reembedded": count (0 when already current), "model", "dimension"}.
        """
        from pajamas.memory.reembed import reembed  # noqa: PLC0415

        self._deps.personas.get().require(persona)
        store = self._store()
        return self._submit("memory.reembed", f"re-embed the memory of {persona}", None,
                            persona, lambda task: reembed(store, persona, task.progress))

    def repair(self, persona: str, path: str | None = None) -> dict[str, Any]:
        """Rebuild a persona's damaged memory, as a task: {"task"}.

        A damaged table (its calls answer `damaged`) is moved to <home>/quarantine and a new
        one filled, each memory once, from the persona's latest backup under <home>/backups
        (or the archive at `path`), then every write since it (its since-backup log: adds,
        edits, deletions, merges, imports, in order) and the adds its journal still holds.  A
        sound table is left as it is.  The result: {"persona", "damaged", "restored" (the
        memories the new table holds), "from": {"backup", "log" (memories added or changed),
        "journal"}, "deleted" (memories the log deleted), "backup", "quarantined"}.
        """
        from pajamas.memory.repair import repair  # noqa: PLC0415
        from pajamas.memory.transfer import source  # noqa: PLC0415

        self._deps.personas.get().require(persona)
        chosen = source(path) if path is not None else None
        store, deps = self._store(), self._deps
        return self._submit("memory.repair", f"repair the memory of {persona}", None, persona,
                            lambda task: repair(store, persona, faults=deps.faults,
                                                backups=deps.home / "backups", backup=chosen,
                                                now=deps.clock(), progress=task.progress))

    # -- helpers ------------------------------------------------------------------------

    def _store(self) -> MemoryStore:
        return self._memory.get().store()

    def _submit(self, kind: str, title: str, store: MemoryStore | None, persona: str,
                work: Callable[[Task], Any]) -> dict[str, Any]:
        """Run work as a task; tell the watchers persona's memory changed (when store given)."""
        def run(task: Task) -> Any:
            try:
                return work(task)
            finally:
                if store is not None:
                    store.changed(persona)

        return {"task": self._deps.tasks.get().submit(kind, run, priority=PRIORITY,
                                                      title=title).id}

    def _restore(self, store: MemoryStore, source: Path, persona: str | None, reembed: bool,
                 task: Task) -> dict[str, Any]:
        from pajamas.memory.backup import read_backup  # noqa: PLC0415
        from pajamas.memory.transfer import import_records  # noqa: PLC0415

        task.progress(0.0, f"checking {source.name}")
        embeddings = store.embeddings
        found = read_backup(source, model=embeddings.model_id, dimension=embeddings.dimension,
                            reembed=reembed, now=self._deps.clock())
        created = persona is None
        persona = persona or self._new_persona(found.persona)
        try:
            result = import_records(store.writer(persona), embeddings, found.records,
                                    on_conflict="replace", progress=task.progress)
        finally:
            store.changed(persona)
        return {"persona": persona, "created": created} | result

    def _new_persona(self, record: dict[str, Any]) -> str:
        settings = record.get("settings")
        return self._deps.personas.get().create(
            str(record.get("name", "")), description=str(record.get("description", "")),
            system_prompt=str(record.get("system_prompt", "")),
            settings=settings if isinstance(settings, dict) else None)["id"]

    def _default_backup(self, name: str) -> Path:
        folder = self._deps.home / "backups"
        folder.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:40] or "persona"
        return folder / f"{safe}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}.zip"
