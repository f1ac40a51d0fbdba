"""What the memory service and the plugin host call: the keys, the tags and the cached paths.

- Embeddings are cached by (model id, SHA-256 of the text), in the write-through namespace
  `embeddings`: they survive a restart.
- Search results are cached by (persona, query, params), tagged with the persona; a write to
  the persona's memory calls `memory_changed`, which turns them all stale at once.
- A plugin function's results are cached only when its manifest declares it pure, by
  (persona, plugin, release, function, args); the release names one install of the plugin
  (its version and files), so a reinstall never meets an older result.  They are tagged with
  the plugin (uninstalled) and the persona's plugin results (persona deleted), and with the
  persona's memory when the plugin may read it.  The persona is part of the key even for a
  pure function, so a wrong manifest can never hand one persona's result to another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import msgpack

from pajamas.cache.namespaces import EMBEDDINGS, PLUGIN_RESULTS, SEARCH
from pajamas.cache.records import Key
from pajamas.cache.tiered import Cache


def persona_tag(persona: str) -> str:
    """The tag of every cached value derived from persona's memory."""
    return f"persona:{persona}"


def plugin_tag(plugin: str) -> str:
    """The tag of every cached result of plugin (for uninstalling or reinstalling it)."""
    return f"plugin:{plugin}"


def plugin_results_tag(persona: str) -> str:
    """The tag of every plugin result cached for persona (for deleting the persona)."""
    return f"plugin-results:{persona}"


def embedding_key(model: str, text: str) -> bytes:
    """The key of text's embedding by model: the model id, NUL, the SHA-256 of the text."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    return model.encode("utf-8") + b"\0" + digest


def search_key(persona: str, query: str, params: Mapping[str, Any]) -> bytes:
    """The key of a search: a digest of persona, query and params (in any key order)."""
    return _digest(["search", persona, query, params])


def plugin_result_key(persona: str, plugin: str, release: str, function: str,
                      args: Mapping[str, Any]) -> bytes:
    """The key of a plugin call's result: a digest of all of it, args in any key order."""
    return _digest(["plugin", persona, plugin, release, function, args])


def cached_embeddings(cache: Cache, model: str, texts: Sequence[str],
                      embed: Callable[[list[str]], Sequence[Any]]) -> list[Any]:
    """The embeddings of texts, in order: cached ones, and `embed`'s for the rest (one batch)."""
    keys = [embedding_key(model, text) for text in texts]
    found: dict[Key, Any] = cache.get_many(EMBEDDINGS, keys)
    todo = {key: text for key, text in zip(keys, texts, strict=True) if key not in found}
    if todo:
        vectors = embed(list(todo.values()))
        if len(vectors) != len(todo):
            raise ValueError(f"embed returned {len(vectors)} vectors for {len(todo)} texts")
        for key, vector in zip(todo, vectors, strict=True):
            cache.set(EMBEDDINGS, key, vector)
            found[key] = vector
    return [found[key] for key in keys]


def cached_search(cache: Cache, persona: str, query: str, params: Mapping[str, Any],
                  search: Callable[[], Any]) -> Any:
    """The result of a search of persona's memory, from the cache or from `search()`."""
    return cache.get_or_load(SEARCH, search_key(persona, query, params), search,
                             tags=[persona_tag(persona)])


def memory_changed(cache: Cache, persona: str) -> None:
    """Persona's memory changed: everything cached from it turns stale (durably)."""
    cache.invalidate_tag(persona_tag(persona))


def cached_plugin_call(cache: Cache, *, persona: str, plugin: str, release: str,
                       function: str, args: Mapping[str, Any], pure: bool,
                       call: Callable[[], Any], reads_memory: bool = False) -> Any:
    """The result of a plugin call: cached when the function is pure, else just `call()`.

    Only a result is stored: an exception `call` raises reaches the caller, uncached.
    """
    if not pure:
        return call()
    key = plugin_result_key(persona, plugin, release, function, args)
    tags = [plugin_tag(plugin), plugin_results_tag(persona)]
    if reads_memory:  # its result may come from the memory: stale once the memory changes
        tags.append(persona_tag(persona))
    return cache.get_or_load(PLUGIN_RESULTS, key, call, tags=tags)


def _digest(parts: list[Any]) -> bytes:
    encoded = msgpack.packb(_canonical(parts), use_bin_type=True)
    return hashlib.blake2b(encoded, digest_size=24).digest()


def _canonical(value: Any) -> Any:
    """value with every map's items sorted, so equal params give equal keys."""
    if isinstance(value, Mapping):
        return [[_canonical(k), _canonical(v)]
                for k, v in sorted(value.items(), key=lambda item: repr(item[0]))]
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    return value
