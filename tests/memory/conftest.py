"""The real model (the machine's one export: `model_dir` in tests/conftest.py), as services."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pajamas.embedding.cache import BoundedEmbeddingCache
from pajamas.embedding.service import EmbeddingService
from pajamas.memory import ann


@pytest.fixture(scope="session")
def embeddings(model_dir: Path) -> Iterator[EmbeddingService]:
    """The embedding service on the real model, loaded once for the session."""
    cache = BoundedEmbeddingCache()
    service = EmbeddingService.onnx(model_dir, lambda: cache)
    service.model.wait()
    yield service
    service.close()


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The rows of each vector layout built from now on (k-means or lists extended)."""
    made: list[int] = []
    build = ann.build

    def counted(vectors: Any, *args: Any) -> ann.Layout:
        made.append(len(vectors))
        return build(vectors, *args)

    monkeypatch.setattr(ann, "build", counted)
    return made
