"""The composition root: builds the core's services, registers their methods, owns the lifecycle.

Start-up order: take the home's lock, bind the sockets, register the methods, start the loop,
write the connection file (from then on clients can talk), then start the rest in stages on a
background thread (`Core.stages`; nothing heavy is imported before the file is written).
Shutdown runs the same steps backwards within `shutdown_timeout_s`.

What later services hook into (each with one call, from their own stage):

- ``core.stages.add(name, start, stop=..., after=...)``: a start-up stage; returns a `Slot`.
- ``core.watchlist.watch(pid, role, name)``: a process the monitor samples (plugin hosts).
- ``core.gauges[name] = fn``: a figure the monitor records every tick ("cache.hot_bytes").
- ``core.sheds.append(Shed(name, release))``: memory given back under pressure, losing no data.
- ``core.system.add_check(name, check)``: a `system.health` check.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Final, final

from pajamas import debug, heap
from pajamas.cache import methods as cache_methods
from pajamas.config import Settings
from pajamas.memory import methods as memory_methods
from pajamas.monitor import methods as monitor_methods
from pajamas.monitor.watchlist import Watchlist
from pajamas.personas import methods as persona_methods
from pajamas.plugins import methods as plugin_methods
from pajamas.rpc import connection
from pajamas.rpc.connection import ConnectionInfo, CoreLock
from pajamas.rpc.methods import Registry
from pajamas.rpc.server import RpcServer, ServerLimits
from pajamas.system import Check, SystemService
from pajamas.tasks import methods as task_methods
from pajamas.tasks import perfrun
from pajamas.tasks.stages import Slot, Stages, service_check

if TYPE_CHECKING:  # imported by their stages, after the connection file is written
    from pajamas.cache.service import CacheService
    from pajamas.memory.methods import MemoryService
    from pajamas.monitor.pressure import Shed
    from pajamas.monitor.service import Monitor
    from pajamas.personas.service import PersonaService
    from pajamas.plugins.registry import PluginRegistry
    from pajamas.store.metadata import MetadataStore
    from pajamas.tasks.manager import TaskManager

log = logging.getLogger(__name__)
STOP_WAIT_S: Final = 1.0  # for a stage or a task still running: past it, the process exit ends it


@final
class Core:
    """One core serving one home."""

    def __init__(self, home: Path, settings: Settings, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.home = home
        self.settings = settings
        self.clock = clock
        self.registry = Registry()
        self.started = time.monotonic()
        self.stopping = threading.Event()
        self.info: ConnectionInfo | None = None
        self._lock = CoreLock(home)
        self._server: RpcServer | None = None
        self.stages = Stages(self.publish, started=self.started, clock=clock)
        self.watchlist = Watchlist(clock)
        self.gauges: dict[str, Callable[[], float | None]] = {}
        self.sheds: list[Shed] = []
        self.monitor: Slot[Monitor] = Slot("monitor")  # replaced by the stage's own in start()
        self.tasks: Slot[TaskManager] = Slot("tasks")
        self.cache: Slot[CacheService] = Slot("cache")
        self.metadata: Slot[MetadataStore] = Slot("metadata")
        self.personas: Slot[PersonaService] = Slot("personas")
        self.memory: Slot[MemoryService] = Slot("memory")
        self.plugins: Slot[PluginRegistry] = Slot("plugins")
        self.system: SystemService | None = None

    def start(self) -> ConnectionInfo:
        """Serve: after this returns, the connection file exists and clients get answers."""
        stage_start = time.monotonic()
        self._lock.acquire()
        key = connection.new_key()
        self._server = RpcServer(self.registry, key.encode(), _limits(self.settings))
        rpc, events = self._server.bind(*connection.endpoints(self.home))
        self.system = self._system_service(self._server)  # before the stages: they add checks
        self._add_stages(self._server)
        self._register_methods(self.system)
        self._server.start()
        self.info = connection.make_info(rpc, events, key)
        connection.write(self.home, self.info)
        log.info("core %s serving %s at %s", self.info.pid, self.home, rpc)
        self.stages.record("rpc", time.monotonic() - stage_start)
        self.stages.start()
        return self.info

    def publish(self, topic: str, data: Any) -> None:
        """Send an event to every subscriber."""
        if self._server is not None:
            self._server.publish(topic, data)

    def stop(self) -> None:
        """Finish in-flight replies, stop workers and remove the connection file."""
        self.stopping.set()
        self.stages.stop(STOP_WAIT_S)
        if self._server is not None:
            drained = self._server.stop(self.settings.shutdown_timeout_s)
            if not drained:
                log.warning("stopped with requests still running after %.1f s",
                            self.settings.shutdown_timeout_s)
        if self.info is not None:
            connection.remove(self.home, self.info.pid)
        self._lock.release()
        log.info("core stopped")

    def serve_until_signal(self) -> None:
        """Serve in the foreground until SIGTERM or SIGINT, then stop cleanly."""
        wake = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            log.info("received %s; stopping", signal.Signals(signum).name)
            wake.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, on_signal)
        self.start()
        while not wake.wait(0.5):
            pass
        self.stop()

    def _system_service(self, server: RpcServer) -> SystemService:
        return SystemService(self.home, self.registry, self.started,
                             pending=lambda: server.pending, clock=self.clock,
                             stages=self.stages.views)

    def _register_methods(self, system: SystemService) -> None:
        system.register()
        system.add_check("startup", self.stages.check)
        system.add_check("monitor", service_check(self.monitor, lambda m: m.check()))
        system.add_check("tasks", service_check(self.tasks, _tasks_check))
        monitor_methods.register(self.registry, self.monitor)
        task_methods.register(self.registry, self.tasks)
        perfrun.register(self.registry, self.tasks, self.home)
        if self.settings.debug_methods:
            debug.register(self.registry, self.stopping)

    def _add_stages(self, server: RpcServer) -> None:
        self.monitor = self.stages.add("monitor", lambda: self._start_monitor(server),
                                       stop=lambda monitor: monitor.stop())
        self.tasks = self.stages.add("tasks", self._start_tasks,
                                     stop=lambda tasks: tasks.stop(STOP_WAIT_S))
        self.cache = cache_methods.install(self)  # its stage, methods, pressure shed, gauges
        self.metadata, self.personas = persona_methods.install(self)  # hub.db, persona.*
        self.memory = memory_methods.install(self)  # memory.*; LanceDB opens on first use
        self.plugins = plugin_methods.install(self)  # plugin.*; install, list, enable

    def _start_monitor(self, server: RpcServer) -> Monitor:
        from pajamas.monitor.pressure import Shed  # noqa: PLC0415
        from pajamas.monitor.service import Monitor, MonitorConfig  # noqa: PLC0415  (psutil)

        self.gauges["core.pending"] = lambda: float(server.pending)
        self.sheds.append(Shed("heap", heap.shed))  # the C heap's free pages
        monitor = Monitor(MonitorConfig.from_settings(self.settings), self.home / "monitor",
                          watchlist=self.watchlist, publish=self.publish, gauges=self.gauges,
                          sheds=self.sheds, requests=server.stats, clock=self.clock)
        monitor.watch(os.getpid(), "core", "core")
        monitor.start()
        return monitor

    def _start_tasks(self) -> TaskManager:
        from pajamas.tasks.manager import TaskManager  # noqa: PLC0415

        tasks = TaskManager(heap.trimming(self.publish),  # a task's end: give its heap back
                            max_running=self.settings.max_running_tasks,
                            keep_finished=self.settings.tasks_kept, clock=self.clock)
        tasks.start()
        self.gauges["core.tasks_running"] = lambda: float(tasks.counts()["running"])
        self.gauges["core.tasks_queued"] = lambda: float(tasks.counts()["queued"])
        return tasks


def _tasks_check(tasks: TaskManager) -> Check:
    counts = tasks.counts()
    return Check(status="ok", detail=f"{counts['running']} running, {counts['queued']} queued")


def _limits(settings: Settings) -> ServerLimits:
    return ServerLimits(max_message_bytes=settings.max_message_bytes, workers=settings.workers,
                        max_pending_requests=settings.max_pending_requests,
                        request_timeout_s=settings.request_timeout_s)
