"""The downsampled history on disk, so the last days survive a restart.

Every metric is averaged over `step_s` (a minute by default) and each step is one JSON line,
``{"t": <mean time>, "m": {metric: mean}}``, appended to ``<folder>/<UTC date>.jsonl``.  Files
older than `retention_days` are deleted when the date changes.  A line cut short by a crash
is skipped when read.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, final

from pajamas.monitor.history import Point

log = logging.getLogger(__name__)


@final
class Archive:
    """Averages each metric per step and appends the steps to a file per day."""

    def __init__(self, folder: Path, *, step_s: float, retention_days: float) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.step_s, self.retention_days = folder, step_s, retention_days
        self._lock = threading.Lock()
        self._bucket: float | None = None
        self._times: list[float] = []
        self._sums: dict[str, float] = {}
        self._counts: dict[str, int] = {}
        self._day: date | None = None

    def add(self, t: float, values: Mapping[str, float]) -> None:
        """Add one tick's values; writes the previous step once t is past it."""
        bucket = math.floor(t / self.step_s) * self.step_s
        with self._lock:
            if self._bucket is not None and bucket != self._bucket:
                self._write_step()
            self._bucket = bucket
            self._times.append(t)
            for metric, value in values.items():
                self._sums[metric] = self._sums.get(metric, 0.0) + value
                self._counts[metric] = self._counts.get(metric, 0) + 1

    def flush(self) -> None:
        """Write the step in progress (when the monitor stops)."""
        with self._lock:
            self._write_step()

    def read(self, metric: str, since: float, until: float = math.inf) -> list[Point]:
        """The metric's archived points with since <= t < until, oldest first."""
        points = []
        for line in self._lines(since, until):
            value = line["m"].get(metric)
            if value is not None and since <= line["t"] < until:
                points.append((float(line["t"]), float(value)))
        return points

    # -- writing ------------------------------------------------------------------------

    def _write_step(self) -> None:
        if not self._times:
            return
        t = sum(self._times) / len(self._times)
        means = {m: round(s / self._counts[m], 3) for m, s in self._sums.items()}
        self._times, self._sums, self._counts = [], {}, {}
        self._append(t, json.dumps({"t": round(t, 3), "m": means}, separators=(",", ":")))

    def _append(self, t: float, line: str) -> None:
        day = _day(t)
        try:
            with (self.folder / f"{day.isoformat()}.jsonl").open("a", encoding="utf-8") as out:
                out.write(line + "\n")
        except OSError as exc:  # a full disk loses history, never the monitoring itself
            log.warning("could not write the monitor's history to %s: %s", self.folder, exc)
        if day != self._day:
            self._day = day
            self._expire(day)

    def _expire(self, today: date) -> None:
        oldest = today - timedelta(days=math.ceil(self.retention_days))
        for path in self.folder.glob("*.jsonl"):
            file_day = _parse_day(path.stem)
            if file_day is not None and file_day < oldest:
                path.unlink(missing_ok=True)

    # -- reading ------------------------------------------------------------------------

    def _lines(self, since: float, until: float) -> Iterator[dict[str, Any]]:
        first = _day(max(since, 0.0))
        last = _day(until) if math.isfinite(until) else None
        for path in sorted(self.folder.glob("*.jsonl")):
            day = _parse_day(path.stem)
            if day is None or day < first or (last is not None and day > last):
                continue
            yield from _parse_lines(path)


def _parse_lines(path: Path) -> Iterator[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    for raw in text.splitlines():
        try:
            line = json.loads(raw)
        except ValueError:  # cut short by a crash while it was written
            continue
        if isinstance(line, dict) and isinstance(line.get("m"), dict) and "t" in line:
            yield line


def _day(t: float) -> date:
    return datetime.fromtimestamp(t, UTC).date()


def _parse_day(stem: str) -> date | None:
    try:
        return date.fromisoformat(stem)
    except ValueError:
        return None
