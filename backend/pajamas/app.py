"""The composition root: builds the core's services, registers their methods, owns the lifecycle.

Start-up order: take the home's lock, bind the sockets, install the features, start the loop,
write the connection file (from then on clients can talk), then start the rest in stages on a
background thread (`Core.stages`; nothing heavy is imported before the file is written).
Shutdown runs the same steps backwards within `shutdown_timeout_s`.

`Core` is the `pajamas.context.Context` every feature gets.  Each feature is installed by one
call, ``<feature>.methods.install(core, <the slots of the services it reads>)``, which adds its
start-up stage, methods, checks, gauges and sheds and returns the slot of its service; this
module is the only place that knows them all, and no feature imports it.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, Final, final

from pajamas import debug, gcfreeze, heap, store
from pajamas.cache import methods as cache_methods
from pajamas.chat import methods as chat_methods
from pajamas.clock import SteadyClock
from pajamas.config import Settings
from pajamas.context import Check, Gauge, Shed
from pajamas.memory import methods as memory_methods
from pajamas.monitor import methods as monitor_methods
from pajamas.monitor.watchlist import Watchlist
from pajamas.perf import methods as perf_methods
from pajamas.personas import methods as persona_methods
from pajamas.plugins import methods as plugin_methods
from pajamas.rpc import connection, priority
from pajamas.rpc.connection import ConnectionInfo, CoreLock
from pajamas.rpc.methods import Registry
from pajamas.rpc.server import RpcServer, ServerLimits
from pajamas.settings import methods as settings_methods
from pajamas.stages import Stages
from pajamas.system import SystemService
from pajamas.tasks import methods as task_methods

log = logging.getLogger(__name__)
STOP_WAIT_S: Final = 1.0  # for a stage or a task still running: past it, the process exit ends it
GIL_SWITCH_S: Final = 0.001  # see serve_until_signal


@final
class Core:
    """One core serving one home; the context its features are installed with."""

    def __init__(self, home: Path, settings: Settings, *,
                 clock: Callable[[], float] | None = None) -> None:
        self._home = home
        self._settings = settings
        # Not the wall clock itself: a jump of it must not bend TTLs, trends or task times.
        self.clock = clock = clock or SteadyClock()
        self._registry = Registry()
        self.started = time.monotonic()
        self.stopping = threading.Event()
        self._stop_requested = threading.Event()  # system.restart, or a signal
        self.info: ConnectionInfo | None = None
        self._lock = CoreLock(home)
        self._server: RpcServer | None = None
        self._own_process = False  # see start
        self._stages = Stages(self.publish, started=self.started, clock=clock)
        self._gauges: dict[str, Gauge] = {}
        self._sheds: list[Shed] = []
        self.system = SystemService(home, self._registry, self.started, pending=self._pending,
                                    clock=clock, stages=self._stages.views,
                                    request_stop=self._stop_requested.set)

    # -- the context features get ---------------------------------------------------------

    @property
    def home(self) -> Path:
        """The home folder this core serves."""
        return self._home

    @property
    def settings(self) -> Settings:
        """The settings in force."""
        return self._settings

    @property
    def registry(self) -> Registry:
        """The RPC methods."""
        return self._registry

    @property
    def stages(self) -> Stages:
        """The start-up stages."""
        return self._stages

    def publish(self, topic: str, data: Any) -> None:
        """Send an event to every subscriber."""
        if self._server is not None:
            self._server.publish(topic, data)

    def add_gauge(self, name: str, read: Gauge) -> None:
        """A figure the monitor records every tick."""
        self._gauges[name] = read

    def add_shed(self, shed: Shed) -> None:
        """Memory the monitor may ask back under pressure."""
        self._sheds.append(shed)

    def add_check(self, name: str, check: Callable[[], Check]) -> None:
        """A system.health check."""
        self.system.add_check(name, check)

    def add_info(self, name: str, read: Callable[[], Any]) -> None:
        """A key of system.info."""
        self.system.add_info(name, read)

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> ConnectionInfo:
        """Serve: after this returns, the connection file exists and clients get answers.

        A core in a process of its own (`serve_until_signal`) then runs every thread but the
        request loop and zmq's, and every thread and process started later, at a lower
        priority (`priority.all_but`).
        """
        stage_start = time.monotonic()
        self._lock.acquire()
        key = connection.new_key()
        self._server = RpcServer(self._registry, key.encode(), _limits(self._settings))
        rpc, events = self._server.bind(*connection.endpoints(self._home,
                                                                  self._settings.rpc_transport))
        self._install(self._server)
        self._server.start()
        if self._own_process and self._server.loop_thread is not None:
            priority.all_but(self._server.loop_thread)
        self.info = connection.make_info(rpc, events, key)
        connection.write(self._home, self.info)
        log.info("core %s serving %s at %s", self.info.pid, self._home, rpc)
        self._stages.record("rpc", time.monotonic() - stage_start)
        self._stages.start()
        return self.info

    def stop(self) -> None:
        """Finish in-flight replies, stop workers and remove the connection file."""
        self.stopping.set()
        self._stages.stop(STOP_WAIT_S)
        if self._server is not None:
            drained = self._server.stop(self._settings.shutdown_timeout_s)
            if not drained:
                log.warning("stopped with requests still running after %.1f s",
                            self._settings.shutdown_timeout_s)
        if self.info is not None:
            connection.remove(self._home, self.info.pid)
        self._lock.release()
        log.info("core stopped")

    def serve_until_signal(self) -> None:
        """Serve in the foreground until SIGTERM or SIGINT, then stop cleanly."""
        wake, received = self._stop_requested, []

        def on_signal(signum: int, frame: FrameType | None) -> None:
            # No logging here: a signal that lands while this thread logs would log inside the
            # logging call (a RecursionError under a burst of signals).
            received.append(signum)
            wake.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, on_signal)
        # The request loop answers pings and busy replies itself, but needs the GIL to do so:
        # a worker in pure Python holds it for up to the switch interval (5 ms by default) at
        # a time, and with four workers the loop could wait several of those in a row.
        sys.setswitchinterval(GIL_SWITCH_S)
        self._own_process = True
        gcfreeze.enable()
        self.start()
        while not wake.wait(0.5):
            pass
        if received:
            log.info("received %s; stopping", signal.Signals(received[0]).name)
        self.stop()
        # Stopped: a second SIGTERM (a service manager, or a test and its fixture, both asking)
        # must not kill what is left of the exit.  Python's finalization puts the default
        # action back for signals it handled, and the default is death (exit status -15),
        # while it closes zmq and joins threads; an ignored signal stays ignored.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)

    def _install(self, server: RpcServer) -> None:
        """Install every feature, each with the slots of the services it reads."""
        self.system.register()
        self.add_check("startup", self._stages.check)
        self.add_gauge("core.pending", lambda: float(server.pending))
        self.add_shed(Shed("heap", heap.shed))  # the C heap's free pages
        # cyclic garbage among frozen objects
        self.add_shed(Shed("gc", lambda: heap.rss_freed(gcfreeze.refreeze)))
        watchlist = Watchlist(self.clock)
        monitor_methods.install(self, watchlist, gauges=self._gauges, sheds=self._sheds,
                                requests=server.stats)
        tasks = task_methods.install(self)
        perf_methods.install(self, tasks)
        cache = cache_methods.install(self)  # its stage, methods, pressure shed, gauges
        metadata = store.install(self)  # hub.db
        personas = persona_methods.install(self, metadata, tasks)
        memory = memory_methods.install(self, personas, cache, tasks)  # LanceDB on first use
        plugins = plugin_methods.install(self, metadata, personas, memory, cache=cache,
                                         watchlist=watchlist)
        settings_methods.install(self)  # settings.toml: no stage, no service
        chat_methods.install(self, metadata, personas, memory, watchlist, plugins=plugins)
        if self._settings.debug_methods:
            debug.register(self._registry, self.stopping)

    def _pending(self) -> int:
        return 0 if self._server is None else self._server.pending


def _limits(settings: Settings) -> ServerLimits:
    return ServerLimits(max_message_bytes=settings.max_message_bytes, workers=settings.workers,
                        max_pending_requests=settings.max_pending_requests,
                        max_queue_wait_s=settings.max_queue_wait_s,
                        request_timeout_s=settings.request_timeout_s)
