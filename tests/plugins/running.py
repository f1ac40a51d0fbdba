"""Helpers for tests that run plugins: a core fit for plugin calls, and a bystander.

The shared test settings give a request 2 s and the core 2 workers; plugin calls that are
stopped by a quota take about a second each and several run at once, so these cores get
more of both.  The `Bystander` pings the core and calls a well-behaved plugin for another
persona all the while a hostile plugin runs, and records anything that went wrong.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from pajamas.rpc.client import Client
from tests.conftest import PATIENCE_S, RunningCore, exported_model, start, stop
from tests.plugins.conftest import ROOT

HOSTILE = Path(__file__).resolve().parent / "hostile"
BUNDLED = ROOT / "plugins"
PLUGIN_SETTINGS = {
    "PAJAMAS_REQUEST_TIMEOUT_S": "60",
    "PAJAMAS_WORKERS": "8",
    "PAJAMAS_MAX_PENDING_REQUESTS": "64",
}
SAMPLE = "The cat sat. The dog ran far away!"
SAMPLE_COUNT = {"words": 8, "sentences": 2}
_fresh = itertools.count(1)


def fresh_sample() -> tuple[str, dict[str, int]]:
    """A text text-stats was never given, and its count: text-stats is pure, so a repeated
    text would be answered from the cache, and a caller that means to reach a host must not
    repeat one."""
    return f"{SAMPLE} Call {next(_fresh)}.", {"words": 10, "sentences": 3}


@contextmanager
def plugin_core(home: Path, **extra: str) -> Iterator[RunningCore]:
    """A real core for home with room for plugin calls, stopped (exit 0 checked) at the end."""
    running = start(home, **{**PLUGIN_SETTINGS, **exported_model(), **extra})
    try:
        yield running
    finally:
        code = stop(running.process)
    assert code == 0, (home / "logs" / "core.out").read_text()


def install(client: Client, folder: Path, persona: str) -> dict[str, Any]:
    """Install the plugin at folder and enable it for the persona."""
    plugin: dict[str, Any] = client.call("plugin.install", {"path": str(folder)})
    client.call("plugin.enable", {"persona": persona, "name": plugin["name"]})
    return plugin


def call(client: Client, persona: str, name: str, function: str,
         args: dict[str, Any] | None = None, **params: Any) -> Any:
    """plugin.call's whole reply: {"result", "usage"}."""
    return client.call("plugin.call", {"persona": persona, "name": name, "function": function,
                                       "args": args or {}, **params})


@dataclass
class Bystander:
    """Pings the core and calls text-stats (new texts) for a persona in a thread, until
    stopped."""

    core: RunningCore
    persona: str
    pings: int = 0
    calls: int = 0
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with self.core.client() as client:
            while not self._stop.is_set():
                self._once(client)
                self._stop.wait(0.02)

    def _once(self, client: Client) -> None:
        try:
            pong = client.call("system.ping")
            self.pings += pong["pong"] is True
            text, count = fresh_sample()
            reply = call(client, self.persona, "text-stats", "count", {"text": text})
            if reply["result"] != count:
                self.errors.append(f"text-stats answered {reply['result']!r}")
            self.calls += 1
        except Exception as exc:  # every failure is recorded and fails the test
            self.errors.append(f"{type(exc).__name__}: {exc}")

    def stop(self) -> None:
        self._stop.set()


@contextmanager
def bystander(core: RunningCore, persona: str) -> Iterator[Bystander]:
    """A `Bystander` running for the block; afterwards it must have seen no error."""
    watcher = Bystander(core, persona)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        yield watcher
    finally:
        watcher.stop()
        thread.join(30)
    assert not thread.is_alive(), "the bystander hung"
    assert watcher.errors == [], watcher.errors
    assert watcher.pings > 0 and watcher.calls > 0, (watcher.pings, watcher.calls)


@dataclass
class TcpServer:
    """A TCP server on 127.0.0.1 that counts the connections it accepts."""

    sock: socket.socket
    accepted: int = 0

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()


@contextmanager
def tcp_server() -> Iterator[TcpServer]:
    """A `TcpServer` listening for the block."""
    sock = socket.create_server(("127.0.0.1", 0))
    server = TcpServer(sock)
    threading.Thread(target=server.serve, daemon=True).start()
    try:
        yield server
    finally:
        sock.close()


def survivors(name: str, wait_s: float = PATIENCE_S) -> list[int]:
    """Pids of processes named name still alive after up to wait_s seconds (none: at once)."""
    deadline = time.monotonic() + wait_s
    while True:
        found = [p.pid for p in psutil.process_iter(["name", "status"])
                 if p.info["name"] == name and p.info["status"] != psutil.STATUS_ZOMBIE]
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)
