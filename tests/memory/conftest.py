"""The real model, exported once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest

from pajamas.embedding.cache import BoundedEmbeddingCache
from pajamas.embedding.export import export
from pajamas.embedding.service import EmbeddingService

# The session's model export (torch, then int8 quantization) runs in the set-up of the first
# test that needs it: minutes of CPU on a busy machine (4 min at a load of 17 on 2 cores), past
# the suite's 120 s guard for one test.  That test alone gets a guard that allows for it.
EXPORT_GUARD_S: Final = 900


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give the first test that needs the exported model the time to export it."""
    first = next((item for item in items if "model_dir" in getattr(item, "fixturenames", ())),
                 None)
    if first is not None:
        first.add_marker(pytest.mark.timeout(EXPORT_GUARD_S))


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
