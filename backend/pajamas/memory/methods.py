"""The memory.* methods, and `install`, which wires semantic memory into the core.

The "memory" stage builds the `MemoryService` (service.py), which opens the store and loads the
model off the request loop; the maintenance methods (consolidate, export, backup, …) are in
maintenance.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal

from pajamas.context import Shed
from pajamas.errors import InvalidParams
from pajamas.faults import Faults
from pajamas.memory.deps import MemoryDeps
from pajamas.memory.model import Memory, check_new, check_thread
from pajamas.memory.service import MemoryService
from pajamas.rpc.methods import Registry
from pajamas.stages import Slot

if TYPE_CHECKING:
    from pajamas.cache.service import CacheService
    from pajamas.context import Context
    from pajamas.memory.resident import Residency
    from pajamas.memory.store import MemoryStore
    from pajamas.personas.service import PersonaService
    from pajamas.tasks.manager import TaskManager

MB: Final = 1024 * 1024


def install(ctx: Context, personas: Slot[PersonaService], cache: Slot[CacheService],
            tasks: Slot[TaskManager]) -> Slot[MemoryService]:
    """Add the "memory" stage and the memory.* methods; the service's slot.

    The stage needs personas (every call checks its persona, and a persona's deletion
    deletes its memory); the cache and the tasks are used once they are up.
    """
    faults = Faults(ctx.home, ctx.publish, ctx.clock)
    ctx.add_check("memory_integrity", faults.check)
    deps = MemoryDeps(home=ctx.home, settings=ctx.settings, clock=ctx.clock,
                      publish=ctx.publish, personas=personas, cache=cache, tasks=tasks,
                      faults=faults)
    slot = ctx.stages.add("memory", lambda: _start(deps), stop=lambda s: s.close(),
                          needs=(personas,))
    register(ctx.registry, slot)
    _watch_residency(ctx, slot)
    from pajamas.memory import maintenance  # noqa: PLC0415

    maintenance.register(ctx.registry, slot, deps)
    return slot


def _watch_residency(ctx: Context, slot: Slot[MemoryService]) -> None:
    """The resident vectors and LanceDB's caches as monitor gauges; the vectors released
    under memory pressure."""

    def opened() -> MemoryStore | None:
        service = slot.peek()
        return None if service is None else service.opened()

    def residency() -> Residency | None:
        store = opened()
        return None if store is None else store.residency

    def resident_mb() -> float:
        found = residency()
        return 0.0 if found is None else float(found.figures()["resident_mb"])

    def shed() -> int:
        found = residency()
        return 0 if found is None else found.shed()

    def lancedb_cache_mb() -> float:
        store = opened()
        return 0.0 if store is None else store.cache_figures()["bytes"] / MB

    def cached_rows() -> float:
        store = opened()
        return 0.0 if store is None else float(store.cached_rows())

    ctx.add_gauge("memory.resident_mb", resident_mb)
    ctx.add_gauge("memory.lancedb_cache_mb", lancedb_cache_mb)
    ctx.add_gauge("memory.cached_rows", cached_rows)
    ctx.add_shed(Shed("memory.vectors", shed))


def _start(deps: MemoryDeps) -> MemoryService:
    service = MemoryService(deps)
    deps.personas.get().on_delete(service.forget)
    if deps.settings.memory_preload:
        service.preload()
    return service


def register(registry: Registry, memory: Slot[MemoryService]) -> None:
    """Add the memory.* methods, served by the service in the slot."""

    def store() -> MemoryStore:
        return memory.get().store()

    def add(persona: str, text: str, *, metadata: dict[str, Any] | None = None,
            importance: float | None = None, context: str | None = None,
            thread: str | None = None, at: float | None = None) -> dict[str, Any]:
        """Add one memory to a persona: {"id"}, once it is on disk.

        `importance` is 0..1 (default 0.5); `metadata` any map. The text is embedded with
        all-MiniLM-L6-v2 (the first call waits for the model to load).  `thread` names what
        it belongs to (a conversation, a session, a document: any text) and `at` is when it
        happened (seconds since 1970; default now): text search finds a memory by its date
        and by the memories before it in its thread (a chat turn's meaning depends on the
        turns before), which the hub keeps for it.  `context` gives that text yourself:
        text search finds the memory by it too, but it is never returned.
        "On disk" means written and fsynced to the persona's journal
        (`<home>/memory/journal/`); the table commits it next, within 50 ms (or, while the memory
        store is still opening after a start, as it opens), and every read waits for that
        commit: a kill -9 of the core after the reply loses nothing.
        """
        new = check_new(text, metadata, importance, context=context, thread=thread, at=at)
        return {"id": memory.get().add(persona, [new])[0]}

    def add_batch(persona: str, items: list[Any]) -> dict[str, Any]:
        """Add many memories in one write: {"ids"}, in the order of `items`, once on disk.

        Each item is {"text", "metadata"?, "importance"?, "context"?, "thread"?, "at"?} (as in
        memory.add, which says what "on disk" means); all are added, or none.  Items of one
        thread are its turns in their order.
        """
        return {"ids": memory.get().add(persona, _checked_items(items))}

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
               filter: dict[str, Any] | None = None, as_of: float | None = None,
               include_superseded: bool = False, thread: str | None = None) -> dict[str, Any]:
        """Search a persona's memory: {"items": [memory + "score"], "total"}, best first.

        `mode` "vector" ranks by meaning (cosine), "text" by words (BM25, LanceDB's full-text
        index), "hybrid" (default) fuses both by reciprocal rank.  `since`/`until` bound
        `at` (since ≤ at < until); `thread` keeps one thread's memories; `filter` keeps
        memories whose metadata has every key with an equal value.  Settings
        memory_importance_weight and memory_recency_weight may weigh importance and age into
        the score.
        Superseded memories (see memory.supersede, memory.consolidate) are left out, unless
        `include_superseded`; `as_of` (a time) returns what was valid then: made at or before
        it and not yet superseded (`until` alone also judges supersession at `until`).
        """
        from pajamas.memory.store import check_page  # noqa: PLC0415

        check_page(offset, limit)
        if not query.strip():
            raise InvalidParams("query is empty", field="query")
        check_thread(thread)
        return memory.get().search(persona, query, mode=mode, offset=offset, limit=limit,
                                   since=since, until=until, wanted=filter, as_of=as_of,
                                   include_superseded=include_superseded, thread=thread)

    def context(persona: str, query: str, max_tokens: int,
                thread: str | None = None) -> dict[str, Any]:
        """Pack the memories best for `query` into `max_tokens` tokens of the model's tokenizer.

        {"text": one "- memory" line each, "items" (each with "tokens", its line's), "tokens":
        tokens used}; newest first among equal scores; `thread` keeps one thread's memories.
        """
        from pajamas.memory.context import pack  # noqa: PLC0415

        if max_tokens < 1:
            raise InvalidParams("max_tokens must be 1 or more", field="max_tokens")
        found = store().search(persona, query, mode="hybrid", offset=0, limit=50,
                               thread=check_thread(thread))
        return pack(found["items"], max_tokens, store().embeddings.count_tokens)

    def stats(persona: str) -> dict[str, Any]:
        """Describe a persona's memory: {"count", "bytes", "fragments", "indexed", "model", ...}.

        `indexed` maps each index kind ("fts", ...) to true; `embedder_ready` says whether
        the model is loaded; `vectors` says how vector search covers the rows: {"lists" (0:
        exact), "listed" (rows in lists), "fresh" (rows searched exactly), "building"}.
        """
        return store().stats(persona)

    def maintain(persona: str) -> dict[str, Any]:
        """Compact a persona's memory table in the background: {"task": id}.

        The `memory.compact` task merges the small fragments that writes leave, brings the
        full-text index up to date with new rows and removes table versions older than
        memory_keep_versions_s; it also starts by itself once memory_compact_fragments or
        memory_compact_unindexed is reached.  While one runs, its id is returned.
        """
        return {"task": store().maintain(persona)}

    def embedder() -> dict[str, Any]:
        """Report the embedding model: {"model", "dimension", "ready", "load_s"}; no waiting.

        The model loads in the background from the first memory call, or at start-up with
        memory_preload (this call starts it too); it does not wait for the memory store.
        """
        model = memory.get().embeddings().model
        return {"model": model.model_id, "dimension": model.dimension, "ready": model.ready,
                "load_s": model.load_s}

    for name, func in (("add", add), ("add_batch", add_batch), ("get", get),
                       ("update", update), ("delete", delete), ("list", list_),
                       ("search", search), ("context", context), ("stats", stats),
                       ("maintain", maintain), ("embedder", embedder)):
        registry.add(f"memory.{name}", func)


ITEM_FIELDS: Final = frozenset({"text", "metadata", "importance", "context", "thread", "at"})


def _checked_items(items: list[Any]) -> list[Any]:
    if not items:
        raise InvalidParams("items is empty", field="items")
    checked = []
    for n, item in enumerate(items):
        if not isinstance(item, dict) or set(item) - ITEM_FIELDS:
            raise InvalidParams(f"items[{n}] must be a map of text, metadata?, importance?, "
                                "context?, thread?, at?", field=f"items[{n}]")
        checked.append(check_new(item.get("text"), item.get("metadata"),
                                 item.get("importance"), where=f"items[{n}].",
                                 context=item.get("context"), thread=item.get("thread"),
                                 at=item.get("at")))
    return checked
