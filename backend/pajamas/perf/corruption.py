"""Corruption scenarios: a store damaged while the core is down, then the core started again.

Each scenario fills a temp home through a real core, stops it, damages one file as a power
cut or a bad sector would (bytes overwritten in the middle, or a file cut short), starts a
new core, and records what it did: the `store.corrupt` events, the health checks, whether the
other personas and the core kept working, and how many acknowledged writes came back (after
`memory.repair` where one is needed).  The tests (tests/test_corruption.py) assert on the
`Outcome`; the chaos benchmarks (perf/benchmarks/chaos_corruption.py) count its losses.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from pajamas import launcher
from pajamas.errors import HubError
from pajamas.rpc import connection
from pajamas.rpc.client import Client, Subscriber

WAIT_S: Final = 120.0  # a hang guard only
HEARTBEAT: Final = "monitor.sample"
EDITED: Final = "edited after the backup: the keeper counted the gulls again"
#: What every scenario core runs with: the memory store opens at the first call (so the
#: events of its opening come after a subscriber is live), samples often (the heartbeat).
SETTINGS: Final = {"PAJAMAS_MEMORY_PRELOAD": "0", "PAJAMAS_SAMPLE_INTERVAL_S": "0.2"}


@dataclass
class Outcome:
    """What one corruption did."""

    fault: str
    acknowledged: int = 0
    lost: int = 0
    duplicated: int = 0
    survived: bool = False  # the core served after the damage
    recovery_s: float = 0.0  # from the new core's start to everything served again
    events: list[dict[str, Any]] = field(default_factory=list)  # store.corrupt
    health: dict[str, Any] = field(default_factory=dict)  # system.health after the damage
    errors: dict[str, Any] = field(default_factory=dict)  # what the damaged part answered
    others_ok: bool = False  # the personas not damaged kept answering
    repair: dict[str, Any] = field(default_factory=dict)  # memory.repair's result
    quarantined: list[str] = field(default_factory=list)  # <home>/quarantine's entries


# -- cores ----------------------------------------------------------------------------------


@dataclass
class Core:
    """A core serving a home, with a client and a live subscriber to store.corrupt."""

    home: Path
    client: Client
    events: Subscriber
    started: float

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """A call's result."""
        return self.client.call(method, params or {})

    def task(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run a task method to its end: the task's last view."""
        task_id = self.call(method, params)["task"]
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            view: dict[str, Any] = self.call("task.get", {"id": task_id})
            if view["state"] in ("done", "failed", "cancelled"):
                return view
            self._next_event("task.done", deadline)
        raise AssertionError(f"{method} did not finish within {WAIT_S:g} s")

    def health(self) -> dict[str, Any]:
        """system.health once every start-up stage has ended (their checks are in by then)."""
        deadline = time.monotonic() + WAIT_S
        while True:
            found: dict[str, Any] = self.call("system.health")
            if all(s["status"] not in ("pending", "running") for s in found["stages"]):
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"the start-up stages did not end within {WAIT_S:g} s")
            self._next_event("startup.stage", deadline)

    def faults(self) -> list[dict[str, Any]]:
        """The store.corrupt events received so far (without waiting)."""
        while (event := self.events.receive(timeout=0.0)) is not None:
            if event.topic == "store.corrupt":
                self.events_seen.append(event.data)
        return list(self.events_seen)

    def _next_event(self, topic: str, deadline: float) -> None:
        while (left := deadline - time.monotonic()) > 0:
            event = self.events.receive(timeout=left)
            if event is None or event.topic == topic:
                return
            if event.topic == "store.corrupt":
                self.events_seen.append(event.data)

    events_seen: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def running(home: Path, settings: Mapping[str, str]) -> Iterator[Core]:
    """A core for home, its client and a subscriber already receiving; stopped after."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAJAMAS_")}
    env |= {**SETTINGS, **settings, "PAJAMAS_HOME": str(home)}
    started = time.monotonic()
    process = launcher.start_core(home, env=env)
    try:
        launcher.wait_ready(home, process, timeout=WAIT_S)
        info = connection.read(home)
        events = _live(info)
        with Client(info, timeout=WAIT_S) as client:
            yield Core(home, client, events, started)
        events.close()
    finally:
        launcher.stop_core(process, timeout=WAIT_S)


def _live(info: connection.ConnectionInfo) -> Subscriber:
    """A subscriber to store.corrupt and task.done, returned once a heartbeat came through
    (ZeroMQ drops what is published before a subscription arrives)."""
    events = Subscriber(info, ("store.", "task.done", "startup.stage", HEARTBEAT))
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        event = events.receive(timeout=deadline - time.monotonic())
        if event is not None and event.topic == HEARTBEAT:
            return events
    events.close()
    raise AssertionError(f"no {HEARTBEAT} event within {WAIT_S:g} s")


# -- damage ---------------------------------------------------------------------------------


def overwrite_middle(path: Path, size: int = 512) -> None:
    """Overwrite size bytes in the middle of a file with other bytes (a bad sector)."""
    length = path.stat().st_size
    start = max(0, length // 2 - size // 2)
    with open(path, "r+b") as file:
        file.seek(start)
        old = file.read(min(size, length - start))
        file.seek(start)
        file.write(bytes(b ^ 0x5A for b in old))  # every byte different from what it was


def cut_short(path: Path, fraction: float = 0.5) -> None:
    """Cut a file to a fraction of its length (a write torn by a power cut)."""
    with open(path, "r+b") as file:
        file.truncate(int(path.stat().st_size * fraction))


# -- filling a home -------------------------------------------------------------------------


def persona(core: Core, name: str) -> str:
    """A new persona's id."""
    return str(core.call("persona.create", {"name": name})["id"])


def add(core: Core, persona_id: str, texts: list[str]) -> list[str]:
    """Add one memory per text, one call each (each journaled): their ids."""
    return [core.call("memory.add", {"persona": persona_id, "text": t})["id"] for t in texts]


def listed(core: Core, persona_id: str) -> list[str]:
    """Every memory id of a persona (repeats kept)."""
    found = core.call("memory.list", {"persona": persona_id, "limit": 10_000})
    return [item["id"] for item in found["items"]]


def texts(prefix: str, count: int) -> list[str]:
    """count distinct memory texts."""
    return [f"{prefix} memory {n}: the lighthouse keeper counted {n * 7} gulls" for n in
            range(count)]


def _tally(outcome: Outcome, acknowledged: list[str], present: list[str]) -> None:
    outcome.acknowledged = len(acknowledged)
    outcome.lost = len(set(acknowledged) - set(present))
    outcome.duplicated = len(present) - len(set(present))


def _error(core: Core, method: str, params: dict[str, Any]) -> dict[str, Any]:
    """The error a call answers ({} when it succeeds)."""
    try:
        core.call(method, params)
    except HubError as exc:
        return {"code": getattr(exc, "remote_code", exc.code), "message": exc.message,
                "data": exc.data}
    return {}


def _quarantine(home: Path) -> list[str]:
    folder = home / "quarantine"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


# -- the scenarios --------------------------------------------------------------------------


def corrupt_lance(workdir: Path, settings: Mapping[str, str], *, before: int = 4,
                  after: int = 3) -> Outcome:
    """One persona's LanceDB data file overwritten in the middle: that persona fails with
    a clear error, the others work; memory.repair brings back every acknowledged write (from
    a backup and the writes since it: adds, an edit and a deletion of backed-up memories),
    each memory once.  The edit and the deletion count as acknowledged writes: lost when the
    edit is undone or the deleted memory comes back."""
    home, outcome = workdir / "home", Outcome("a persona's LanceDB data file overwritten")
    home.mkdir(parents=True)
    with running(home, settings) as core:
        alpha, beta = persona(core, "Alpha"), persona(core, "Beta")
        acknowledged = add(core, alpha, texts("backed-up", before))
        assert core.task("memory.backup", {"persona": alpha})["state"] == "done"
        acknowledged += add(core, alpha, texts("later", after))
        edited, removed = acknowledged[0], acknowledged.pop(1)
        core.call("memory.update", {"persona": alpha, "id": edited, "text": EDITED})
        core.call("memory.delete", {"persona": alpha, "id": removed})
        others = add(core, beta, texts("beta", 2))
        listed(core, alpha)  # every add committed
    data = sorted((home / "memory" / f"{alpha}.lance" / "data").iterdir(),
                  key=lambda p: p.stat().st_mtime_ns)
    overwrite_middle(data[0])
    with running(home, settings) as core:
        outcome.errors = _error(core, "memory.list", {"persona": alpha})
        outcome.survived = core.call("system.ping")["pong"]
        outcome.others_ok = (sorted(listed(core, beta)) == sorted(others)
                             and bool(add(core, beta, ["beta still learns"])))
        outcome.health = core.health()
        view = core.task("memory.repair", {"persona": alpha})
        outcome.repair = view.get("result") or {"error": view.get("error")}
        present = listed(core, alpha)
        _tally(outcome, acknowledged, present)
        outcome.acknowledged += 2  # the edit and the deletion
        text = core.call("memory.get", {"persona": alpha, "id": edited})["text"]
        outcome.lost += (text != EDITED) + (removed in present)
        outcome.recovery_s = time.monotonic() - core.started
        outcome.events = core.faults()
    outcome.quarantined = _quarantine(home)
    return outcome


def corrupt_journal_tail(workdir: Path, settings: Mapping[str, str], *,
                         journaled: int = 3) -> Outcome:
    """A persona's journal whose last record is torn and overwritten (a power cut during an
    append): every whole record before it is replayed, the tail kept aside and told."""
    from pajamas.memory.journal import Record  # noqa: PLC0415
    from pajamas.memory.model import NewMemory  # noqa: PLC0415

    home, outcome = workdir / "home", Outcome("a journal's last record torn and overwritten")
    home.mkdir(parents=True)
    with running(home, settings) as core:
        alpha, beta = persona(core, "Alpha"), persona(core, "Beta")
        acknowledged = add(core, alpha, texts("committed", 2))
        others = add(core, beta, texts("beta", 2))
        stats = core.call("memory.stats", {"persona": alpha})
    # The adds a crash left in the journal, acknowledged (whole and fsynced), then a torn one.
    rng = np.random.default_rng(7)
    records = []
    for n in range(journaled + 1):
        vectors = rng.standard_normal((1, int(stats["dimension"]))).astype(np.float32)
        vectors /= np.linalg.norm(vectors)
        memory_id = f"journaled{n:04d}" + "0" * 23
        item = NewMemory(text=f"journaled memory {n}", metadata={}, importance=0.5)
        records.append(Record.new([item], [memory_id], vectors, created_at=time.time(),
                                  model=str(stats["model"])).encode())
        if n < journaled:
            acknowledged.append(memory_id)
    journal = home / "memory" / "journal" / f"{alpha}.journal"
    journal.parent.mkdir(parents=True, exist_ok=True)
    torn = bytearray(records[-1][: len(records[-1]) * 2 // 3])
    torn[len(torn) // 2:len(torn) // 2 + 16] = bytes(16)  # its bytes damaged too
    journal.write_bytes(b"".join(records[:-1]) + bytes(torn))
    with running(home, settings) as core:
        present = listed(core, alpha)
        outcome.survived = core.call("system.ping")["pong"]
        outcome.others_ok = sorted(listed(core, beta)) == sorted(others)
        outcome.health = core.health()
        _tally(outcome, acknowledged, present)
        outcome.recovery_s = time.monotonic() - core.started
        outcome.events = core.faults()
    outcome.quarantined = _quarantine(home)
    return outcome


def corrupt_cold_cache(workdir: Path, settings: Mapping[str, str]) -> Outcome:
    """Every cold cache file overwritten in the middle: each reads as a miss, is removed and
    told; searches answer as before."""
    home, outcome = workdir / "home", Outcome("every cold cache file overwritten")
    home.mkdir(parents=True)
    settings = {**settings, "PAJAMAS_CACHE_WARM_MB": "0"}  # cold right under hot
    query = {"query": "how many gulls?", "mode": "vector"}
    with running(home, settings) as core:
        alpha = persona(core, "Alpha")
        acknowledged = add(core, alpha, texts("cached", 3))
        first = core.call("memory.search", {"persona": alpha, **query})
    for path in (home / "cache" / "cold").rglob("*"):
        if path.is_file():
            overwrite_middle(path, size=32)
    with running(home, settings) as core:
        again = core.call("memory.search", {"persona": alpha, **query})
        outcome.survived = core.call("system.ping")["pong"]
        outcome.others_ok = [i["id"] for i in again["items"]] == [
            i["id"] for i in first["items"]]
        outcome.health = core.health()
        _tally(outcome, acknowledged, listed(core, alpha))
        outcome.recovery_s = time.monotonic() - core.started
        outcome.events = core.faults()
    return outcome


def corrupt_warm_cache(workdir: Path, settings: Mapping[str, str]) -> Outcome:
    """The warm cache's SQLite overwritten in the middle: found as the cache opens, moved
    aside, rebuilt empty; memory works on."""
    home, outcome = workdir / "home", Outcome("the warm cache's SQLite overwritten")
    home.mkdir(parents=True)
    with running(home, settings) as core:
        alpha = persona(core, "Alpha")
        acknowledged = add(core, alpha, texts("warm", 40))
    database = home / "cache" / "warm" / "embeddings" / "cache.db"
    overwrite_middle(database, size=4096)
    with running(home, settings) as core:
        outcome.survived = core.call("system.ping")["pong"]
        core.call("memory.search", {"persona": alpha, "query": "gulls"})
        outcome.others_ok = bool(add(core, alpha, ["the warm cache fills again"]))
        outcome.health = core.health()
        _tally(outcome, acknowledged, listed(core, alpha))
        outcome.recovery_s = time.monotonic() - core.started
        outcome.events = core.faults()
    outcome.quarantined = _quarantine(home)
    return outcome


def corrupt_hub_db(workdir: Path, settings: Mapping[str, str], *,
                   header: bool = False) -> Outcome:
    """hub.db overwritten in the middle (salvaged: the readable tables kept), or its header
    (nothing readable: the core serves on, degraded, with an error naming the file)."""
    home = workdir / "home"
    outcome = Outcome("hub.db's header overwritten" if header else "hub.db overwritten")
    home.mkdir(parents=True)
    with running(home, settings) as core:
        acknowledged = [persona(core, f"Persona {n}") for n in range(3)]
    database = home / "hub.db"
    if header:
        with open(database, "r+b") as file:
            file.write(b"\xff" * 100)
    else:
        overwrite_middle(database, size=4096)
    with running(home, settings) as core:
        outcome.survived = core.call("system.ping")["pong"]
        outcome.health = core.health()
        outcome.errors = _error(core, "persona.list", {})
        present = [] if outcome.errors else [
            p["id"] for p in core.call("persona.list", {"limit": 100})["items"]]
        outcome.others_ok = bool(core.call("cache.stats"))
        _tally(outcome, acknowledged, present)
        outcome.recovery_s = time.monotonic() - core.started
        outcome.events = core.faults()
    outcome.quarantined = _quarantine(home)
    return outcome
