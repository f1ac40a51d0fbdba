"""Embeddings cached by (model id, text hash): in the hub's tiered cache, or a bounded LRU.

`TieredEmbeddingCache` stores each vector as its float32 bytes in the tiered cache's
`embeddings` namespace (hot, warm and cold tiers: they survive a restart).
`BoundedEmbeddingCache` is the plain in-process fallback for when the tiered cache is absent
(its start-up stage failed, or a test or tool runs the memory store alone).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, final

import numpy as np

if TYPE_CHECKING:
    from pajamas.cache.tiered import Cache
    from pajamas.embedding.embedder import Vectors

Embed = Callable[[list[str]], "Vectors"]


class EmbeddingCache(Protocol):
    """Embeds texts through a cache: only the texts it misses reach `embed`, in one call."""

    def embeddings(self, model_id: str, texts: list[str], embed: Embed) -> Vectors:
        """One row per text, in order."""
        ...


@final
class TieredEmbeddingCache:
    """The tiered cache's `embeddings` namespace (see `pajamas.cache.wiring`)."""

    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    def embeddings(self, model_id: str, texts: list[str], embed: Embed) -> Vectors:
        """One row per text, in order: cached ones, and `embed`'s for the rest."""
        from pajamas.cache.wiring import cached_embeddings  # noqa: PLC0415

        def embed_bytes(missing: list[str]) -> list[bytes]:
            return [row.tobytes() for row in embed(missing)]

        rows = cached_embeddings(self._cache, model_id, texts, embed_bytes)
        return _stack(rows)


@final
class BoundedEmbeddingCache:
    """An in-process LRU of at most `max_items` vectors; thread-safe."""

    def __init__(self, max_items: int = 50_000) -> None:
        self._max = max_items
        self._items: OrderedDict[bytes, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def embeddings(self, model_id: str, texts: list[str], embed: Embed) -> Vectors:
        """One row per text, in order: cached ones, and `embed`'s for the rest."""
        keys = [_key(model_id, text) for text in texts]
        found = self._get_many(keys)
        missing = [i for i, key in enumerate(keys) if key not in found]
        if missing:
            fresh = embed([texts[i] for i in missing])
            for i, row in zip(missing, fresh, strict=True):
                found[keys[i]] = row.tobytes()
            self._put_many({keys[i]: found[keys[i]] for i in missing})
        return _stack([found[key] for key in keys])

    def _get_many(self, keys: list[bytes]) -> dict[bytes, bytes]:
        with self._lock:
            found = {key: self._items[key] for key in keys if key in self._items}
            for key in found:
                self._items.move_to_end(key)
        return found

    def _put_many(self, items: dict[bytes, bytes]) -> None:
        with self._lock:
            self._items.update(items)
            while len(self._items) > self._max:
                self._items.popitem(last=False)


def _key(model_id: str, text: str) -> bytes:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    return model_id.encode("utf-8") + b"\0" + digest


def _stack(rows: list[bytes]) -> Vectors:
    vectors: Vectors = np.frombuffer(b"".join(rows), dtype=np.float32).reshape(len(rows), -1)
    return vectors
