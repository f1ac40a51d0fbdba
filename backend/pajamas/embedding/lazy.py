"""`LazyEmbedder`: the model loads on first use, in the background, and callers wait for it.

Loading (and, the first time on a home, exporting) runs on the work `spawn` is given: in the
core that is a task, so its progress reaches clients as `task.progress` events, and the
request loop never waits (pings are answered meanwhile).  A failed load is reported to the
callers waiting then, and the next use tries again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, final

from pajamas.errors import HubError, Internal

if TYPE_CHECKING:
    from pajamas.embedding.embedder import Embedder, Vectors

Progress = Callable[[float, str], None]
Loader = Callable[[Progress], "Embedder"]
Spawn = Callable[[Callable[[Progress], None]], None]


def spawn_thread(work: Callable[[Progress], None]) -> None:
    """Run work on a new daemon thread, its progress unreported (outside the core)."""
    threading.Thread(target=work, args=(lambda fraction, message: None,),
                     name="pajamas-embedder-load", daemon=True).start()


@final
class LazyEmbedder:
    """An `Embedder` whose model loads on the first embed or count_tokens."""

    def __init__(self, model_id: str, dimension: int, load: Loader, *,
                 spawn: Spawn = spawn_thread, timeout_s: float = 120.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.model_id, self.dimension = model_id, dimension
        self._load, self._spawn, self._timeout = load, spawn, timeout_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._model: Embedder | None = None
        self._error: HubError | None = None
        self._loading = False
        self.load_s: float | None = None  # how long the last successful load took

    @property
    def ready(self) -> bool:
        """Whether the model is loaded."""
        return self._model is not None

    def start(self) -> None:
        """Begin loading in the background, unless it is loaded or loading."""
        with self._lock:
            if self._model is not None or self._loading:
                return
            self._loading, self._error = True, None
            self._done.clear()
        self._spawn(self._run)

    def wait(self) -> Embedder:
        """The loaded model, loading it if needed; the load's error if it failed."""
        model = self._model
        if model is not None:
            return model
        self.start()
        if not self._done.wait(self._timeout):
            raise Internal(f"the embedding model did not load within {self._timeout:g} s")
        if self._model is None:
            raise self._error or Internal("the embedding model failed to load")
        return self._model

    def embed(self, texts: list[str]) -> Vectors:
        """The texts' vectors (waits for the model)."""
        return self.wait().embed(texts)

    def count_tokens(self, text: str) -> int:
        """The model's tokens in text (waits for the model)."""
        return self.wait().count_tokens(text)

    def _run(self, progress: Progress) -> None:
        began = self._monotonic()
        try:
            model = self._load(progress)
            if model.model_id != self.model_id:
                raise Internal(f"the loaded model is {model.model_id}, not {self.model_id}")
        except BaseException as exc:  # reported to the waiting callers, not lost on a thread
            self._finish(None, exc if isinstance(exc, HubError) else Internal(
                f"loading the embedding model failed: {type(exc).__name__}: {exc}"))
            if not isinstance(exc, Exception):
                raise
            return
        self.load_s = self._monotonic() - began
        self._finish(model, None)

    def _finish(self, model: Embedder | None, error: HubError | None) -> None:
        with self._lock:
            self._model, self._error, self._loading = model, error, False
            self._done.set()
