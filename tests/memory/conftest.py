"""The real model, exported once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pajamas.embedding.cache import BoundedEmbeddingCache
from pajamas.embedding.export import export
from pajamas.embedding.service import EmbeddingService


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped all-MiniLM-L6-v2 exported to ONNX (torch runs here, once)."""
    return export(tmp_path_factory.mktemp("model") / "onnx")


@pytest.fixture(scope="session")
def embeddings(model_dir: Path) -> Iterator[EmbeddingService]:
    """The embedding service on the real model, loaded once for the session."""
    cache = BoundedEmbeddingCache()
    service = EmbeddingService.onnx(model_dir, lambda: cache)
    service.model.wait()
    yield service
    service.close()
