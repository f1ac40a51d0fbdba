"""The memory.* methods, and `install`, which wires semantic memory into the core.

Nothing heavy happens at start-up: the "memory" stage only hooks persona deletion.  The store
(LanceDB) opens on the first memory call, on a worker thread, and the embedding model loads on
the first call that needs a vector, as an `embedder.load` task (with progress events) while the
core keeps answering.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, final

from pajamas import machine
from pajamas.errors import Internal, InvalidParams
from pajamas.memory.model import Memory, check_new
from pajamas.rpc.methods import Registry
from pajamas.tasks.stages import Slot

if TYPE_CHECKING:
    from collections.abc import Callable

    from pajamas.app import Core
    from pajamas.embedding.cache import EmbeddingCache
    from pajamas.embedding.lazy import Progress
    from pajamas.memory.store import MemoryStore


@final
class MemoryService:
    """The core's memory: the store, opened on first use."""

    def __init__(self, core: Core) -> None:
        self._core = core
        self._store: MemoryStore | None = None
        self._lock = threading.Lock()
        self._fallback_cache: EmbeddingCache | None = None

    def store(self) -> MemoryStore:
        """The store, opened (with LanceDB imported) on the first call."""
        with self._lock:
            if self._store is None:
                self._store = self._open()
            return self._store

    def search(self, persona: str, query: str, **params: Any) -> dict[str, Any]:
        """A search of persona's memory, from the tiered cache's `search` namespace when it is up.

        The cache drops a persona's results whenever its memory changes (`_changed`).
        """
        def run() -> dict[str, Any]:
            return self.store().search(persona, query, **params)

        service = self._core.cache.peek()
        if service is None:
            return run()
        from pajamas.cache.wiring import cached_search  # noqa: PLC0415

        found: dict[str, Any] = cached_search(service.cache, persona, query, params, run)
        return found

    def forget(self, persona: str) -> None:
        """Delete persona's memory (its persona is being deleted)."""
        if (self._core.home / "memory" / f"{persona}.lance").exists():
            self.store().drop(persona)

    def close(self) -> None:
        """Finish the queued writes."""
        with self._lock:
            if self._store is not None:
                self._store.close()

    def _open(self) -> MemoryStore:
        if machine.cpu_has_avx2() is False:
            raise Internal(f"memory needs LanceDB, which needs a CPU with AVX2; this one "
                           f"({machine.cpu_model()}) lacks it")
        from pajamas.embedding.service import EmbeddingService  # noqa: PLC0415
        from pajamas.memory.fusion import Weights  # noqa: PLC0415
        from pajamas.memory.store import MemoryStore  # noqa: PLC0415

        core, settings = self._core, self._core.settings
        folder = settings.embedding_model_dir or str(core.home / "models" / "all-MiniLM-L6-v2")
        embeddings = EmbeddingService.onnx(_path(folder), self._cache,
                                           threads=settings.embedding_threads, spawn=self._spawn)
        weights = Weights(rrf_k=settings.memory_rrf_k, vector=settings.memory_vector_weight,
                          text=settings.memory_text_weight,
                          importance=settings.memory_importance_weight,
                          recency=settings.memory_recency_weight,
                          half_life_days=settings.memory_recency_half_life_days)
        return MemoryStore(core.home / "memory", embeddings, require=self._require,
                           weights=weights, clock=core.clock, on_change=self._changed)

    def _require(self, persona: str) -> None:
        self._core.personas.get().require(persona)

    def _cache(self) -> EmbeddingCache:
        """The tiered cache's embeddings namespace once the cache is up, else a bounded LRU."""
        from pajamas.embedding.cache import (  # noqa: PLC0415
            BoundedEmbeddingCache,
            TieredEmbeddingCache,
        )

        service = self._core.cache.peek()
        if service is not None:
            return TieredEmbeddingCache(service.cache)
        if self._fallback_cache is None:
            self._fallback_cache = BoundedEmbeddingCache()
        return self._fallback_cache

    def _spawn(self, work: Callable[[Progress], None]) -> None:
        """Load the model as a task, so clients see its progress (a thread without tasks)."""
        from pajamas.embedding.lazy import spawn_thread  # noqa: PLC0415

        tasks = self._core.tasks.peek()
        if tasks is None:
            spawn_thread(work)
            return
        tasks.submit("embedder.load", lambda task: work(task.progress), priority=10,
                     title="load the embedding model")

    def _changed(self, persona: str) -> None:
        service = self._core.cache.peek()
        if service is not None:
            from pajamas.cache.wiring import memory_changed  # noqa: PLC0415

            memory_changed(service.cache, persona)
        self._core.publish("memory.changed", {"persona": persona})


def _path(folder: str) -> Path:
    return Path(folder).expanduser()


def install(core: Core) -> Slot[MemoryService]:
    """Add the "memory" stage (after personas) and the memory.* methods; the service's slot."""
    slot = core.stages.add("memory", lambda: _start(core), stop=lambda s: s.close(),
                           after=["personas"])
    register(core.registry, slot)
    return slot


def _start(core: Core) -> MemoryService:
    service = MemoryService(core)
    core.personas.get().on_delete(service.forget)
    return service


def register(registry: Registry, memory: Slot[MemoryService]) -> None:
    """Add the memory.* methods, served by the service in the slot."""

    def store() -> MemoryStore:
        return memory.get().store()

    def add(persona: str, text: str, metadata: dict[str, Any] | None = None,
            importance: float | None = None) -> dict[str, Any]:
        """Add one memory to a persona: {"id"}, once it is on disk.

        `importance` is 0..1 (default 0.5); `metadata` any map. The text is embedded with
        all-MiniLM-L6-v2 (the first call waits for the model to load).
        """
        return {"id": store().add(persona, [check_new(text, metadata, importance)])[0]}

    def add_batch(persona: str, items: list[Any]) -> dict[str, Any]:
        """Add many memories in one write: {"ids"}, in the order of `items`.

        Each item is {"text", "metadata"?, "importance"?}.
        """
        return {"ids": store().add(persona, _checked_items(items))}

    def get(persona: str, id: str) -> Memory:
        """Return one memory of a persona; not_found if it has none with that id."""
        return store().get(persona, id)

    def update(persona: str, id: str, text: str | None = None,
               metadata: dict[str, Any] | None = None,
               importance: float | None = None) -> Memory:
        """Change a memory's text (re-embedded), metadata or importance; returns the memory."""
        return store().update(persona, id, text=text, metadata=metadata, importance=importance)

    def delete(persona: str, id: str) -> dict[str, Any]:
        """Delete one memory of a persona: {"deleted": true}."""
        store().delete(persona, id)
        return {"deleted": True}

    def list_(persona: str, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        """List a persona's memories, newest first: {"items": [memory], "total"}."""
        from pajamas.memory.store import check_page  # noqa: PLC0415

        check_page(offset, limit)
        return store().page(persona, offset=offset, limit=limit)

    def search(persona: str, query: str, *, limit: int = 10, offset: int = 0,
               mode: Literal["hybrid", "vector", "text"] = "hybrid",
               since: float | None = None, until: float | None = None,
               filter: dict[str, Any] | None = None) -> dict[str, Any]:
        """Search a persona's memory: {"items": [memory + "score"], "total"}, best first.

        `mode` "vector" ranks by meaning (cosine), "text" by words (BM25, LanceDB's full-text
        index), "hybrid" (default) fuses both by reciprocal rank.  `since`/`until` bound
        created_at (since ≤ t < until); `filter` keeps memories whose metadata has every
        key with an equal value.  Settings memory_importance_weight and
        memory_recency_weight may weigh importance and age into the score.
        """
        from pajamas.memory.store import check_page  # noqa: PLC0415

        check_page(offset, limit)
        if not query.strip():
            raise InvalidParams("query is empty", field="query")
        return memory.get().search(persona, query, mode=mode, offset=offset, limit=limit,
                                   since=since, until=until, wanted=filter)

    def context(persona: str, query: str, max_tokens: int) -> dict[str, Any]:
        """Pack the memories best for `query` into `max_tokens` tokens of the model's tokenizer.

        {"text": one "- memory" line each, "items", "tokens": tokens used}; newest first among
        equal scores.
        """
        from pajamas.memory.context import pack  # noqa: PLC0415

        if max_tokens < 1:
            raise InvalidParams("max_tokens must be 1 or more", field="max_tokens")
        found = store().search(persona, query, mode="hybrid", offset=0, limit=50)
        return pack(found["items"], max_tokens, store().embeddings.count_tokens)

    def stats(persona: str) -> dict[str, Any]:
        """Describe a persona's memory: {"count", "bytes", "fragments", "indexed", "model", ...}.

        `indexed` maps each index kind ("fts", ...) to true; `embedder_ready` says whether
        the model is loaded.
        """
        return store().stats(persona)

    def embedder() -> dict[str, Any]:
        """Report the embedding model: {"model", "dimension", "ready", "load_s"}; no loading."""
        model = store().embeddings.model
        return {"model": model.model_id, "dimension": model.dimension, "ready": model.ready,
                "load_s": model.load_s}

    for name, func in (("add", add), ("add_batch", add_batch), ("get", get),
                       ("update", update), ("delete", delete), ("list", list_),
                       ("search", search), ("context", context), ("stats", stats),
                       ("embedder", embedder)):
        registry.add(f"memory.{name}", func)


def _checked_items(items: list[Any]) -> list[Any]:
    if not items:
        raise InvalidParams("items is empty", field="items")
    checked = []
    for n, item in enumerate(items):
        if not isinstance(item, dict) or set(item) - {"text", "metadata", "importance"}:
            raise InvalidParams(f"items[{n}] must be a map of text, metadata?, importance?",
                                field=f"items[{n}]")
        checked.append(check_new(item.get("text"), item.get("metadata"),
                                 item.get("importance"), where=f"items[{n}]."))
    return checked
