"""Damaged files on disk: moved aside into `<home>/quarantine`, told as events and health.

A power cut or a bad sector can damage any store the hub keeps: a cache file, the warm
cache's SQLite, a persona's LanceDB table, a journal's tail, `hub.db`.  Whoever finds the
damage contains it (a cache is rebuilt empty, a persona's memory is marked failing until it is
repaired) and reports it here:

- the damaged file or folder is moved, never deleted, to
  `<home>/quarantine/<UTC time>-<name>` (`quarantine`), for a person to look at or send on;
- a `store.corrupt` event tells every client at once: {"store", "path", "reason", "action",
  "quarantined", "time"} plus what the store adds ("persona");
- a health check (one per feature: `cache_integrity`, `memory_integrity`,
  `metadata_integrity`) stays `degraded` for a fault contained and `failing` for one that
  still needs a repair, with the reasons as its detail, until the fault is resolved or the
  core restarts.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Final, final

from pajamas.context import Check, Clock, Publish

log = logging.getLogger(__name__)
FOLDER: Final = "quarantine"
TOPIC: Final = "store.corrupt"
MAX_KEPT: Final = 50  # faults the health check remembers (the oldest go first)


def quarantine(home: Path, path: Path, *, name: str | None = None,
               clock: Clock = time.time) -> Path:
    """Move path (a file or a folder) to `<home>/quarantine/<UTC time>-<name>` (name: path's
    own by default): where it went.

    Never deletes: a name taken already gets a counter.  The move is a rename on the home's
    disk (a copy then a removal elsewhere).
    """
    folder = home / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / _free_name(folder, name or path.name, clock)
    shutil.move(str(path), str(target))
    sync_folder(folder)
    return target


def quarantine_bytes(home: Path, name: str, data: bytes, *, clock: Clock = time.time) -> Path:
    """Write data (a torn tail cut off a file) to the quarantine as name: where it went."""
    folder = home / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / _free_name(folder, name, clock)
    with open(target, "xb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    sync_folder(folder)
    return target


def sqlite_damage(database: Path) -> str | None:
    """What is wrong with an SQLite file (`PRAGMA quick_check`), or None when it is sound or
    absent."""
    if not database.exists():
        return None
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            rows = connection.execute("PRAGMA quick_check").fetchall()
        finally:
            connection.close()
    except sqlite3.Error as exc:  # "file is not a database", "disk image is malformed"
        return f"SQLite cannot read it: {exc}"
    problems = [str(row[0]) for row in rows if row[0] != "ok"]
    return f"SQLite's quick_check found: {'; '.join(problems[:3])}" if problems else None


@final
class Faults:
    """The faults one feature found: reported as events, held for its health check."""

    def __init__(self, home: Path, publish: Publish, clock: Clock = time.time) -> None:
        self.home, self._publish, self._clock = home, publish, clock
        self._lock = threading.Lock()
        self._contained: list[dict[str, Any]] = []
        self._failing: dict[str, dict[str, Any]] = {}  # what still needs a repair, by key

    def quarantine(self, path: Path, name: str | None = None) -> Path:
        """Move path aside into the home's quarantine (see `quarantine`)."""
        return quarantine(self.home, path, name=name, clock=self._clock)

    def quarantine_bytes(self, name: str, data: bytes) -> Path:
        """Keep data cut off a damaged file in the quarantine (see `quarantine_bytes`)."""
        return quarantine_bytes(self.home, name, data, clock=self._clock)

    def report(self, store: str, path: Path, reason: str, *, action: str,
               quarantined: Path | None = None, failing: str | None = None,
               **data: Any) -> dict[str, Any]:
        """Tell of a damaged file: a `store.corrupt` event and the health check; the fault.

        action says what was done ("removed", "rebuilt", "truncated", "failing", ...);
        failing, a key (a persona): the fault lasts until `resolve(key)`.
        """
        fault = {"store": store, "path": str(path), "reason": reason, "action": action,
                 "quarantined": None if quarantined is None else str(quarantined),
                 "time": self._clock(), **data}
        log.error("damaged %s at %s: %s; %s%s", store, path, reason, action,
                  f" (moved to {quarantined})" if quarantined else "")
        with self._lock:
            if failing is None:
                self._contained = [*self._contained[-(MAX_KEPT - 1):], fault]
            else:
                self._failing[failing] = fault
        self._publish("store.corrupt", fault)
        return fault

    def resolve(self, key: str) -> None:
        """The fault reported as failing under key is repaired: it counts as contained now."""
        with self._lock:
            fault = self._failing.pop(key, None)
            if fault is not None:
                self._contained = [*self._contained[-(MAX_KEPT - 1):],
                                   fault | {"action": "repaired"}]

    def failing(self, key: str) -> dict[str, Any] | None:
        """The unrepaired fault under key, if any."""
        with self._lock:
            return self._failing.get(key)

    def check(self) -> Check:
        """failing while a fault waits for a repair, degraded after one was contained."""
        with self._lock:
            failing, contained = list(self._failing.values()), list(self._contained)
        if failing:
            return Check(status="failing", detail="; ".join(map(_describe, failing)))
        if contained:
            return Check(status="degraded", detail="; ".join(map(_describe, contained[-5:])))
        return Check(status="ok", detail="no damaged file found")


def _describe(fault: dict[str, Any]) -> str:
    where = f" (moved to {fault['quarantined']})" if fault.get("quarantined") else ""
    return f"{fault['store']} {fault['path']}: {fault['reason']}; {fault['action']}{where}"


def _free_name(folder: Path, name: str, clock: Clock) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(clock()))
    candidate, n = f"{stamp}-{name}", 1
    while (folder / candidate).exists():
        n += 1
        candidate = f"{stamp}-{n}-{name}"
    return candidate


def sync_folder(folder: Path) -> None:
    """fsync a folder, so that the names made or removed in it are on disk."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

