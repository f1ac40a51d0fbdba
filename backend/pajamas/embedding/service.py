"""`EmbeddingService`: what the memory store calls: cache first, then batches on the lazy model.

::

    texts ──> EmbeddingCache (model id, text hash) ──misses──> Batcher ──> LazyEmbedder (ONNX)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, final

from pajamas.embedding.batcher import Batcher
from pajamas.embedding.embedder import DIMENSION, MODEL_NAME
from pajamas.embedding.export import FORMAT
from pajamas.embedding.lazy import LazyEmbedder, Loader, Progress, Spawn, spawn_thread

if TYPE_CHECKING:
    from pajamas.embedding.cache import EmbeddingCache
    from pajamas.embedding.embedder import Embedder, Vectors

MODEL_ID = f"{MODEL_NAME}@{FORMAT}"


def onnx_loader(folder: Path, *, threads: int = 0) -> Loader:
    """Load the ONNX export in folder, exporting the shipped weights there first if needed."""

    def load(progress: Progress) -> Embedder:
        from pajamas.embedding.export import export_apart, is_exported  # noqa: PLC0415
        from pajamas.embedding.runtime import OnnxEmbedder  # noqa: PLC0415

        if not is_exported(folder):
            progress(0.0, "exporting all-MiniLM-L6-v2 to ONNX (once per home)")
            export_apart(folder)
        progress(0.9, "loading the embedding model")
        return OnnxEmbedder(folder, threads=threads)

    return load


@final
class EmbeddingService:
    """Embeds through the cache, batching the misses on the lazily loaded model."""

    def __init__(self, model: LazyEmbedder, cache: Callable[[], EmbeddingCache]) -> None:
        self.model = model
        self._cache = cache
        self._batcher = Batcher(model.embed)

    @classmethod
    def onnx(cls, folder: Path, cache: Callable[[], EmbeddingCache], *, threads: int = 0,
             spawn: Spawn = spawn_thread) -> EmbeddingService:
        """The service on the ONNX model exported to folder."""
        lazy = LazyEmbedder(MODEL_ID, DIMENSION, onnx_loader(folder, threads=threads),
                            spawn=spawn)
        return cls(lazy, cache)

    @property
    def model_id(self) -> str:
        """The id of the vector space ("sentence-transformers/all-MiniLM-L6-v2@onnx-int8")."""
        return self.model.model_id

    @property
    def dimension(self) -> int:
        """The vectors' length."""
        return self.model.dimension

    def embed(self, texts: list[str]) -> Vectors:
        """One unit-length row per text (through the cache: for queries, asked again)."""
        return self._cache().embeddings(self.model_id, texts, self._batcher.embed)

    def embed_stored(self, texts: list[str]) -> Vectors:
        """One unit-length row per text, past the cache: for texts being stored, whose vectors
        the table and the journal keep.  Cached, each add cost a lookup and a write of the
        warm tier (SQLite) and filled the cache with vectors that are rarely asked for again.
        """
        return self._batcher.embed(texts)

    def count_tokens(self, text: str) -> int:
        """The model's tokens in text."""
        return self.model.count_tokens(text)

    def close(self) -> None:
        """Stop the batching thread."""
        self._batcher.close()
