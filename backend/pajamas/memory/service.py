"""`MemoryService`: the core's memory, the store opened on first use, off the request loop.

Nothing heavy happens on the request loop: the "memory" stage hooks persona deletion and (with
memory_preload, the default, once the model is exported) loads the embedding model and then
opens the store (LanceDB) on a background thread, 1.5 s after start-up, so the first add
finds them ready; otherwise they open on the first memory call (which exports the model the
first time).  The model loads as an `embedder.load` task (with progress events) while the core
keeps answering.  The embedder is made before the store: an add that comes while the store is
still opening (importing LanceDB takes about 2 s of CPU, loading the model 0.3 s) is embedded,
journaled and acknowledged without waiting for it (early.py), and the store replays the
journals as it opens.  Tables are compacted by `memory.compact` tasks (upkeep.py).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, final

from pajamas import machine
from pajamas.errors import Busy, HubError, Internal

if TYPE_CHECKING:
    from collections.abc import Callable

    from pajamas.embedding.cache import EmbeddingCache
    from pajamas.embedding.lazy import Progress
    from pajamas.embedding.service import EmbeddingService
    from pajamas.memory.deps import MemoryDeps
    from pajamas.memory.early import EarlyAdds
    from pajamas.memory.model import NewMemory
    from pajamas.memory.store import MemoryStore

log = logging.getLogger(__name__)
CLOSE_WAIT_S = 0.5  # for a store still opening (preload): past it, the opener closes it
#: The preload waits this long after the memory stage: importing LanceDB takes ~2 s of CPU,
#: which would otherwise compete with the window's first paint on a 2-core machine.  A memory
#: call that comes sooner opens the store itself.
PRELOAD_DELAY_S = 1.5


@final
class MemoryService:
    """The core's memory: the store, opened on first use."""

    def __init__(self, deps: MemoryDeps) -> None:
        self._deps = deps
        self._store: MemoryStore | None = None
        self._lock = threading.Lock()  # held while the store opens
        self._closed = threading.Event()
        self._fallback_cache: EmbeddingCache | None = None
        # What adds need before the store is open; never held while LanceDB is imported.
        self._parts_lock = threading.Lock()
        self._embeddings: EmbeddingService | None = None
        self._early: EarlyAdds | None = None
        self._opening = False

    def store(self) -> MemoryStore:
        """The store, opened (with LanceDB imported) on the first call; it replays the adds
        journaled meanwhile before anyone gets it."""
        with self._lock:
            if self._store is None:
                store = self._open()
                if self._closed.is_set():  # the core stopped while it opened: nothing to keep
                    store.close()
                    raise Busy("the core is stopping; memory is closed")
                self._early_adds().take_over(store)
                self._store = store
            return self._store

    def opened(self) -> MemoryStore | None:
        """The store if it is open, without opening it."""
        return self._store

    def searchable(self) -> bool:
        """Whether a search answers without waiting: the model loaded and the store open.

        When not, both start in the background, so that a caller that cannot wait (a chat
        reply's prompt) goes without this once and finds them ready next time.
        """
        if self._store is not None and self.embeddings().model.ready:
            return True
        if not self._closed.is_set():
            self.embeddings()  # the model starts loading, then the store opens
            self._open_soon()
        return False

    def add(self, persona: str, items: list[NewMemory]) -> list[str]:
        """Add checked items to persona's memory: their ids, once on disk (in the journal;
        while the store is still opening, that is not waited for)."""
        if self._store is None:
            if self._closed.is_set():
                raise Busy("the core is stopping; memory is closed")
            self._require(persona)
            embeddings = self.embeddings()  # the model starts loading before anything else
            ids = self._early_adds().add(persona, items, embeddings)
            if ids is not None:
                self._changed(persona)
                self._open_soon()  # only now: LanceDB's import would slow the model's load
                return ids
        return self.store().add(persona, items)

    def embeddings(self) -> EmbeddingService:
        """The embedding service; made, its model set loading, on the first call (cheap: no
        LanceDB)."""
        from pajamas.embedding.service import EmbeddingService  # noqa: PLC0415

        with self._parts_lock:
            if self._embeddings is None:
                _check_cpu()  # no embedding (nor journal) where the store can never open
                settings = self._deps.settings
                self._embeddings = EmbeddingService.onnx(
                    self._model_folder(), self._cache, threads=settings.embedding_threads,
                    spawn=self._spawn)
                self._embeddings.model.start()
            return self._embeddings

    def search(self, persona: str, query: str, **params: Any) -> dict[str, Any]:
        """A search of persona's memory, from the tiered cache's `search` namespace when it is up.

        The cache drops a persona's results whenever its memory changes (`_changed`); the
        store opens first, so that the journals it replays have dropped theirs.
        """
        store = self.store()

        def run() -> dict[str, Any]:
            return store.search(persona, query, **params)

        service = self._deps.cache.peek()
        if service is None:
            return run()
        from pajamas.cache.wiring import cached_search  # noqa: PLC0415

        found: dict[str, Any] = cached_search(service.cache, persona, query, params, run)
        return found

    def forget(self, persona: str) -> None:
        """Delete persona's memory (its persona is being deleted), journal included."""
        self._early_adds().forget(persona)
        if (self._deps.folder / f"{persona}.lance").exists():
            self.store().drop(persona)

    def close(self) -> None:
        """Finish the queued writes.

        A store still opening (a preload importing LanceDB) is not waited for: its opener sees
        the service closed and closes it, so a stopping core is not held up by the import;
        adds still only in a journal are replayed at the next start.
        """
        self._closed.set()
        if not self._lock.acquire(timeout=CLOSE_WAIT_S):
            return
        try:  # holding the lock, no opener is replaying the journals
            if self._early is not None:
                self._early.close()
            if self._store is not None:
                self._store.close()  # the embedder's too
            elif self._embeddings is not None:
                self._embeddings.close()
        finally:
            self._lock.release()

    def _open(self) -> MemoryStore:
        _check_cpu()
        from pajamas.memory.fusion import Weights  # noqa: PLC0415
        from pajamas.memory.store import MemoryStore  # noqa: PLC0415
        from pajamas.memory.upkeep import Policy, Upkeep  # noqa: PLC0415

        deps, settings = self._deps, self._deps.settings
        embeddings = self.embeddings()  # loading in the background while LanceDB is imported
        weights = Weights(rrf_k=settings.memory_rrf_k, vector=settings.memory_vector_weight,
                          text=settings.memory_text_weight,
                          importance=settings.memory_importance_weight,
                          recency=settings.memory_recency_weight,
                          half_life_days=settings.memory_recency_half_life_days)
        policy = Policy(fragments=settings.memory_compact_fragments,
                        unindexed=settings.memory_compact_unindexed,
                        keep_s=settings.memory_keep_versions_s)
        return MemoryStore(deps.folder, embeddings, require=self._require,
                           weights=weights, clock=deps.clock, on_change=self._changed,
                           on_count=deps.personas.get().set_memory_count,
                           upkeep=Upkeep(policy, self._submit_compaction),
                           faults=deps.faults, resident_mb=settings.memory_resident_mb,
                           lancedb_cache_mb=settings.memory_lancedb_cache_mb)

    def _early_adds(self) -> EarlyAdds:
        """What journals the adds that come before the store is open (made on first use)."""
        from pajamas.memory.early import EarlyAdds  # noqa: PLC0415
        from pajamas.memory.journal import FOLDER, Journals  # noqa: PLC0415

        with self._parts_lock:
            if self._early is None:
                journals = Journals(self._deps.folder / FOLDER)
                self._early = EarlyAdds(journals, self._deps.clock)
            return self._early

    def _open_soon(self) -> None:
        """Open the store on a thread, unless one is at it already."""
        if self._claim_opening():
            threading.Thread(target=self._open_in_order, name="pajamas-memory-open",
                             daemon=True).start()

    def _claim_opening(self) -> bool:
        """Whether the caller is the one to open the store in the background."""
        with self._parts_lock:
            claimed, self._opening = not self._opening, True
        return claimed

    def _open_in_order(self) -> None:
        """Load the model, then open the store: importing LanceDB (~2 s of CPU) beside the
        load almost doubled it here, as both hold the GIL much of the time."""
        try:
            self.embeddings().model.wait()
        except HubError as exc:  # the store opens all the same: not every call needs the model
            log.warning("the embedding model did not load: %s", exc)
        try:
            self.store()
        except HubError as exc:  # reads raise it to their callers; the next add tries again
            log.warning("could not open the memory store in the background: %s", exc)
            with self._parts_lock:
                self._opening = False

    def preload(self) -> None:
        """Load the model, then open the store, on a background thread, if the model is
        exported already (a home's first export waits for its first memory call)."""
        from pajamas.embedding.export import is_exported  # noqa: PLC0415

        if not is_exported(self._model_folder()):
            return

        def run() -> None:
            if not self._closed.wait(PRELOAD_DELAY_S) and self._claim_opening():
                self._open_in_order()

        threading.Thread(target=run, name="pajamas-memory-preload", daemon=True).start()

    def _submit_compaction(self, title: str, work: Callable[[Progress], None]) -> str:
        """Run a compaction as a `memory.compact` task (on a thread without tasks): its id."""
        from pajamas.memory.upkeep import run_on_thread  # noqa: PLC0415

        tasks = self._deps.tasks.peek()
        if tasks is None:
            return run_on_thread(title, work)
        return tasks.submit("memory.compact", lambda task: work(task.progress), priority=-1,
                            title=title).id

    def _model_folder(self) -> Path:
        settings, home = self._deps.settings, self._deps.home
        return _path(settings.embedding_model_dir or str(home / "models" / "all-MiniLM-L6-v2"))

    def _require(self, persona: str) -> None:
        self._deps.personas.get().require(persona)

    def _cache(self) -> EmbeddingCache:
        """The tiered cache's embeddings namespace once the cache is up, else a bounded LRU."""
        from pajamas.embedding.cache import (  # noqa: PLC0415
            BoundedEmbeddingCache,
            TieredEmbeddingCache,
        )

        service = self._deps.cache.peek()
        if service is not None:
            return TieredEmbeddingCache(service.cache)
        if self._fallback_cache is None:
            self._fallback_cache = BoundedEmbeddingCache()
        return self._fallback_cache

    def _spawn(self, work: Callable[[Progress], None]) -> None:
        """Load the model as a task, so clients see its progress (a thread without tasks)."""
        from pajamas.embedding.lazy import spawn_thread  # noqa: PLC0415

        tasks = self._deps.tasks.peek()
        if tasks is None:
            spawn_thread(work)
            return
        tasks.submit("embedder.load", lambda task: work(task.progress), priority=10,
                     title="load the embedding model")

    def _changed(self, persona: str) -> None:
        service = self._deps.cache.peek()
        if service is not None:
            from pajamas.cache.wiring import memory_changed  # noqa: PLC0415

            memory_changed(service.cache, persona)
        self._deps.publish("memory.changed", {"persona": persona})


def _path(folder: str) -> Path:
    return Path(folder).expanduser()


def _check_cpu() -> None:
    if machine.cpu_has_avx2() is False:
        raise Internal(f"memory needs LanceDB, which needs a CPU with AVX2; this one "
                       f"({machine.cpu_model()}) lacks it")
