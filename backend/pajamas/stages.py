"""Staged start-up: the core serves first, then brings its services up one stage at a time.

The rpc stage runs before anything else (clients can ping at once); every other stage runs, in
the order added, on a background thread.  Each sends `startup.stage` events
(``{"stage", "status", "duration_s", "error"?}``: "running", then "done", "failed" or
"skipped"), and a last one for the stage "all".  A stage that raises fails alone: the hub is
degraded, says why in `system.health`, and keeps serving; stages that need it are skipped.

A feature adds its stage with one call, naming the slots of the stages it needs; code set up
before it waits for it through the returned `Slot`::

    store = stages.add("metadata", lambda: MetadataStore.open(home), stop=MetadataStore.close)
    personas = stages.add("personas", lambda: PersonaService(store.get()), needs=(store,))
    ...
    personas.get()  # the service, once its stage is done; Busy while starting; Internal if failed

A stage can only need slots that exist, that is stages added before it, so the order in which
features are installed is an order in which their stages can run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, Literal, TypedDict, TypeVar, final

from pajamas.context import Check
from pajamas.errors import Busy, HubError, Internal

log = logging.getLogger(__name__)

T = TypeVar("T")
Status = Literal["pending", "running", "done", "failed", "skipped"]
Publish = Callable[[str, Any], None]


class StageView(TypedDict):
    """One stage as `system.health` shows it."""

    stage: str
    status: Status
    duration_s: float | None
    error: str | None
    finished_at: float | None


@final
class Slot(Generic[T]):
    """The service a stage builds, for callers that exist before it: `get` waits for it."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self._ready = threading.Event()
        self._value: T | None = None
        self._error: str | None = None

    def get(self, timeout: float = 10.0) -> T:
        """The service; `Busy` if its stage still runs after timeout, `Internal` if it failed."""
        if not self._ready.wait(timeout):
            raise Busy(f"the {self.stage} stage of start-up is still running; retry shortly",
                       stage=self.stage)
        if self._error is not None:
            raise Internal(f"{self.stage} is unavailable: its start-up stage {self._error}",
                           stage=self.stage, hint="system.health")
        return self._value  # type: ignore[return-value]  # set together with _ready

    @property
    def error(self) -> str | None:
        """Why the stage failed ("failed: …", "was skipped: …"), or None."""
        return self._error

    def peek(self) -> T | None:
        """The service if its stage is done, else None (never waits)."""
        return self._value if self._ready.is_set() else None

    def fill(self, value: T) -> None:
        """Hand over the built service."""
        self._value = value
        self._ready.set()

    def fail(self, reason: str) -> None:
        """Record why the service will never come."""
        self._error = reason
        self._ready.set()


class _Stage:
    # A plain class, not a dataclass: building one costs ~2 ms of the core's start-up.
    __slots__ = ("after", "duration_s", "error", "finished_at", "name", "slot", "start",
                 "status", "stop", "value")

    def __init__(self, name: str, start: Callable[[], Any], stop: Callable[[Any], None] | None,
                 after: tuple[str, ...]) -> None:
        self.name, self.start, self.stop, self.after = name, start, stop, after
        self.slot: Slot[Any] = Slot(name)
        self.status: Status = "pending"
        self.duration_s: float | None = None
        self.error: str | None = None
        self.finished_at: float | None = None
        self.value: Any = None

    def view(self) -> StageView:
        return StageView(stage=self.name, status=self.status, duration_s=self.duration_s,
                         error=self.error, finished_at=self.finished_at)


@final
class Stages:
    """The core's start-up stages, in order; runs the pending ones on a background thread."""

    def __init__(self, publish: Publish, *, started: float,
                 clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._publish, self._clock, self._monotonic = publish, clock, monotonic
        self._started = started  # monotonic time the core started: the "all" event's origin
        self._stages: dict[str, _Stage] = {}
        self._lock = threading.Lock()
        self._runner: threading.Thread | None = None
        self._running = False
        self._closed = False
        self._all_done = threading.Event()

    def record(self, name: str, duration_s: float) -> None:
        """Record a stage that already ran in the foreground (rpc); it is listed first."""
        stage = self._new(name, lambda: None, None, (), first=True)
        stage.status, stage.duration_s, stage.finished_at = "done", duration_s, self._clock()
        stage.slot.fill(None)
        self._send(stage)

    def add(self, name: str, start: Callable[[], T], *, stop: Callable[[T], None] | None = None,
            needs: Sequence[Slot[Any]] = ()) -> Slot[T]:
        """Add a stage: start() builds its service; stop(service) runs when the core stops.

        `needs` are the slots of the stages whose services start() reads: if one of them
        failed, this one is skipped.  A stage added after start-up finished runs at once, on
        a new background thread.
        """
        stage = self._new(name, start, stop, tuple(slot.stage for slot in needs))
        with self._lock:
            self._all_done.clear()
            wake = self._running and self._runner is None
        if wake:
            self._spawn()
        return stage.slot

    def start(self) -> None:
        """Run the pending stages on a background thread."""
        with self._lock:
            self._running = True
        self._spawn()

    def wait(self, timeout: float) -> bool:
        """Wait up to timeout for every stage to finish; True if they all did."""
        return self._all_done.wait(timeout)

    def views(self) -> list[StageView]:
        """Every stage, in order."""
        with self._lock:
            return [s.view() for s in self._stages.values()]

    def check(self) -> Check:
        """The "startup" health check: degraded with the reasons if a stage failed."""
        views = self.views()
        bad = [f"{v['stage']} {v['error']}" for v in views if v["status"] in ("failed", "skipped")]
        if bad:
            return Check(status="degraded", detail="; ".join(bad))
        waiting = [f"{v['stage']} ({v['status']})" for v in views
                   if v["status"] in ("pending", "running")]
        if waiting:
            return Check(status="ok", detail=f"starting: {', '.join(waiting)}")
        return Check(status="ok", detail=f"all {len(views)} stages done")

    def stop(self, timeout: float) -> None:
        """Run no more stages, wait up to timeout for the current one, stop the built services."""
        with self._lock:
            self._closed = True
            runner = self._runner
        if runner is not None:
            runner.join(timeout)
        for stage in reversed(list(self._stages.values())):
            if stage.status == "done" and stage.stop is not None:
                _quietly(stage.name, stage.stop, stage.value)

    # -- running ------------------------------------------------------------------------

    def _new(self, name: str, start: Callable[[], Any], stop: Callable[[Any], None] | None,
             after: tuple[str, ...], *, first: bool = False) -> _Stage:
        with self._lock:
            if name in self._stages:
                raise ValueError(f"a start-up stage named {name!r} exists already")
            unknown = [n for n in after if n not in self._stages]
            if unknown:
                raise ValueError(f"stage {name!r} needs stages not added here: {unknown}")
            stage = _Stage(name, start, stop, after)
            self._stages = ({name: stage} | self._stages) if first else (
                self._stages | {name: stage})
        return stage

    def _spawn(self) -> None:
        runner = threading.Thread(target=self._run_pending, name="pajamas-startup", daemon=True)
        with self._lock:
            if self._runner is not None:
                return
            self._runner = runner
        runner.start()

    def _run_pending(self) -> None:
        while (stage := self._next()) is not None:
            self._run(stage)
        self._send_all()

    def _next(self) -> _Stage | None:
        with self._lock:
            pending = [s for s in self._stages.values() if s.status == "pending"]
            if self._closed or not pending:
                self._runner = None
                return None
            pending[0].status = "running"
            return pending[0]

    def _run(self, stage: _Stage) -> None:
        blocked = [n for n in stage.after if self._stages[n].status != "done"]
        if blocked:
            self._end(stage, "skipped", f"was skipped: it needs {', '.join(blocked)}", 0.0)
            return
        self._send(stage)
        began = self._monotonic()
        try:
            stage.value = stage.start()
        except Exception as exc:  # the border: a failed stage degrades the hub, never stops it
            log.exception("start-up stage %s failed", stage.name)
            self._end(stage, "failed", f"failed: {_describe(exc)}", self._monotonic() - began)
        else:
            self._end(stage, "done", None, self._monotonic() - began)

    def _end(self, stage: _Stage, status: Status, error: str | None, duration_s: float) -> None:
        stage.status, stage.error, stage.duration_s = status, error, duration_s
        stage.finished_at = self._clock()
        if error is None:
            stage.slot.fill(stage.value)
        else:
            stage.slot.fail(error)
        self._send(stage)

    def _send(self, stage: _Stage) -> None:
        data: dict[str, Any] = {"stage": stage.name, "status": stage.status,
                                "duration_s": stage.duration_s or 0.0}
        if stage.error is not None:
            data["error"] = stage.error
        self._publish("startup.stage", data)

    def _send_all(self) -> None:
        with self._lock:  # with add's clear(), so a stage added meanwhile is not counted done
            stages = list(self._stages.values())
            if all(s.status not in ("pending", "running") for s in stages):
                self._all_done.set()
        bad = [s.name for s in stages if s.status in ("failed", "skipped")]
        data: dict[str, Any] = {"stage": "all", "status": "degraded" if bad else "done",
                                "duration_s": self._monotonic() - self._started}
        if bad:
            data["error"] = f"stages not started: {', '.join(bad)}"
        self._publish("startup.stage", data)


def service_check(slot: Slot[T], check: Callable[[T], Check]) -> Callable[[], Check]:
    """A health check of the service in slot: check(service) once built, else why it is not.

    For `SystemService.add_check`: ``add_check("cache", service_check(core.cache, Cache.check))``.
    """
    def run() -> Check:
        if slot.error is not None:
            return Check(status="degraded", detail=f"the {slot.stage} stage {slot.error}")
        service = slot.peek()
        if service is None:
            return Check(status="ok", detail=f"{slot.stage} is starting")
        return check(service)
    return run


def _quietly(name: str, stop: Callable[[Any], None], value: Any) -> None:
    try:
        stop(value)
    except Exception:  # one service failing to stop must not keep the others running
        log.exception("stopping the service of stage %s failed", name)


def _describe(exc: Exception) -> str:
    return exc.message if isinstance(exc, HubError) else f"{type(exc).__name__}: {exc}"
