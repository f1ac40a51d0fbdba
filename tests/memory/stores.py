"""A MemoryStore on a temp folder with the session's real model, for the maintenance tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pajamas.embedding.service import EmbeddingService
from pajamas.errors import NotFound
from pajamas.memory.model import NewMemory
from pajamas.memory.schema import ADDED
from pajamas.memory.store import MemoryStore
from tests.conftest import start, stop

PERSONAS = ("persona-a", "persona-b")


class Clock:
    """A clock a second later at every call, from 1,000."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def require(persona: str) -> None:
    if persona not in PERSONAS:
        raise NotFound(f"no persona {persona}")


@contextmanager
def opened(folder: Path, embeddings: EmbeddingService,
           clock: Callable[[], float] | None = None) -> Iterator[MemoryStore]:
    """A store on folder; its writers closed after (the session's embedder stays open)."""
    store = MemoryStore(folder, embeddings, require=require, clock=clock or Clock())
    try:
        yield store
    finally:
        for writer in store._writers.values():
            writer.close()


def new(text: str, importance: float = 0.5, **metadata: object) -> NewMemory:
    return NewMemory(text=text, metadata=dict(metadata), importance=importance)


def progress(fraction: float, message: str) -> None:
    assert 0.0 <= fraction <= 1.0 and isinstance(message, str)


def finished(client: Any, reply: dict[str, Any], timeout: float = 120.0) -> dict[str, Any]:
    """The view of the task a method started ({"task": id}), once it has finished."""
    deadline = time.monotonic() + timeout
    while True:
        view: dict[str, Any] = client.call("task.get", {"id": reply["task"]})
        if view["state"] in ("done", "failed", "cancelled") or time.monotonic() > deadline:
            return view
        time.sleep(0.05)


@contextmanager
def memory_core(home: Path, model_dir: Path) -> Iterator[Any]:
    """A real core using the session's model export, and a patient client of it."""
    core = start(home, PAJAMAS_EMBEDDING_MODEL_DIR=str(model_dir),
                 PAJAMAS_REQUEST_TIMEOUT_S="60")
    try:
        with core.client(timeout=60) as client:
            yield client
    finally:
        assert stop(core.process) == 0, (home / "logs" / "core.out").read_text()


def before_threads(shape: Any) -> Any:
    """shape as tables made before memories had a thread and a time (`at`) were."""
    for name in ADDED:
        shape = shape.remove(shape.get_field_index(name))
    return shape
