"""The real model (the machine's one export: `model_dir` in tests/conftest.py), as services."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pajamas.embedding.cache import BoundedEmbeddingCache
from pajamas.embedding.service import EmbeddingService


@pytest.fixture(scope="session")
def embeddings(model_dir: Path) -> Iterator[EmbeddingService]:
    """The embedding service on the real model, loaded once for the session."""
    cache = BoundedEmbeddingCache()
    service = EmbeddingService.onnx(model_dir, lambda: cache)
    service.model.wait()
    yield service
    service.close()
