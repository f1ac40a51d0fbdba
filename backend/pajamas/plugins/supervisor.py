"""`Host`: the lifecycle of one host process (one persona, one plugin), as the core sees it.

launch (fork from the template, wait for ``ready``) · call (one at a time: send, serve host
API requests, read the reply) · poll / wait (the exit status the template reports) · kill (the
whole process group and whatever is in its pids cgroup, with the error to give the caller) ·
cleanup (close the channel and the output pipe, remove the cgroup).  The watchdog reads
`busy_since`, `call_cpu` and `breach`; the caller's worker is the only thread that blocks on
the channel.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import resource
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, final

import msgpack
import psutil

from pajamas.errors import Busy, Forbidden, HubError, HubTimeout, PluginFailed, QuotaExceeded
from pajamas.plugins import census
from pajamas.plugins.channel import (
    MAX_FRAME,
    Channel,
    ChannelClosed,
    ChannelError,
    FrameTooLarge,
)
from pajamas.plugins.forkserver import Template
from pajamas.plugins.manifest import Manifest
from pajamas.plugins.sandbox import cgroup

log = logging.getLogger(__name__)
START_TIMEOUT_S: Final = 10.0
EXIT_WAIT_S: Final = 2.0
MB: Final = 1024 * 1024
ServeApi = Callable[[str, dict[str, Any]], Any]
Notify = Callable[[str, dict[str, Any]], None]


class HostEnded(Exception):
    """The host was stopped (idle, memory pressure) before the call reached it: use a new one."""


@dataclass
class Usage:
    """What one call used."""

    cpu_s: float
    wall_s: float
    peak_rss: int


@final
@dataclass
class Host:
    """One host process and what the core knows of it."""

    persona: str
    manifest: Manifest
    scratch: Path
    state: str = "starting"
    pid: int = 0
    calls: int = 0
    kills: int = 0
    applied: dict[str, Any] = field(default_factory=dict)
    cgroup: Path | None = None
    output_fd: int = -1
    done: bool = False
    forks_refused: int = 0
    output_bytes: int = 0
    output_lines: int = 0
    peak_rss: int = 0
    rss: int = 0
    cpu_percent: float = 0.0
    sampled_at: float = 0.0
    sampled_cpu: float = 0.0
    last_used: float = field(default_factory=time.monotonic)
    started_at: float | None = None  # wall time the host became ready
    busy_since: float | None = None
    call_cpu: float = 0.0  # the group's CPU seconds when the call began
    breach: HubError | None = None
    status: int | None = None
    exited: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    process: psutil.Process | None = None
    _channel: Channel | None = None

    @property
    def name(self) -> str:
        """The plugin's name."""
        return self.manifest.name

    def launch(self, template: Template, config: dict[str, Any], base: Path | None) -> None:
        """Fork the host and wait until it has confined itself and imported the plugin."""
        quotas = self.manifest.quotas
        if base is not None:
            self.cgroup = cgroup.create(base, 1 + quotas.processes + cgroup.THREADS)
            config["plan"]["cgroup"] = str(self.cgroup)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        read, write = os.pipe2(os.O_CLOEXEC)
        try:
            self.pid = template.spawn(config, [theirs.fileno(), write], self._on_exit)
        finally:
            theirs.close()
            os.close(write)
        os.set_blocking(read, False)
        self.output_fd = read  # owned by the watchdog from here on
        self._channel = Channel(ours, max_frame=quotas.output_kb * 1024 + 65536)
        with contextlib.suppress(psutil.Error):  # gone already: _ready reports how it died
            self.process = psutil.Process(self.pid)
        self._ready()

    def call(self, function: str, args: dict[str, Any], wall_s: float, serve: ServeApi,
             notify: Notify) -> tuple[Any, Usage]:
        """Run function(**args) in the host; its result and usage, or the error to raise."""
        if not self.lock.acquire(timeout=wall_s):
            raise Busy(f"plugin {self.name!r} is busy with another call for this persona "
                       f"for over {wall_s:g} s; retry later", persona=self.persona,
                       plugin=self.name)
        try:
            return self._call(function, args, wall_s, serve, notify)
        finally:
            self.busy_since = None
            self.last_used = time.monotonic()
            if self.state == "busy":
                self.state = "idle"
            self.lock.release()

    def poll(self) -> int | None:
        """The host's wait status if it has ended, else None."""
        return self.status

    def wait(self, timeout: float) -> bool:
        """Wait until the host has ended; whether it has."""
        return self.exited.wait(timeout)

    def kill(self, breach: HubError | None = None, *, state: str = "killed") -> None:
        """SIGKILL the host's process group and cgroup; breach is what its caller gets."""
        if breach is not None and self.breach is None:
            self.breach = breach
        self.state = state
        if not self.pid:
            return
        # Found before the host dies: its children are then found by their parent no more.
        strays = census.started(self.pid, self.cgroup, exact=self._contained)
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            _kill(self.pid)
        for pid in strays:
            _kill(pid)

    def terminate(self, state: str = "stopped") -> None:
        """Stop the host for good (idle, shutdown, uninstall): kill, wait, clean up."""
        self.kill(state=state)
        self.wait(EXIT_WAIT_S)
        self.cleanup()

    def cleanup(self) -> None:
        """Close the channel and remove the cgroup (after the host ended).

        The output pipe is the watchdog's to close (it may be reading it right now): it
        closes it once `done` is set.
        """
        self.done = True
        if self._channel is not None:
            self._channel.close()
        if self.cgroup is not None:
            cgroup.remove(self.cgroup)
            self.cgroup = None

    def _on_exit(self, status: int) -> None:
        self.status = status
        if self.state not in ("killed", "stopped", "disabled"):
            self.state = "killed"
        self.exited.set()

    def _ready(self) -> None:
        channel = self._require_channel()
        channel.sock.settimeout(START_TIMEOUT_S)
        try:
            frame = channel.recv()
        except (ChannelError, TimeoutError) as exc:
            self.kill()
            raise self._death(exc) from exc
        if frame["t"] == "failed":
            self.kill(state="killed")
            raise self._failed("exception", f"plugin {self.name!r} failed to load: "
                               f"{frame.get('exception')}: {frame.get('message')}",
                               exception=frame.get("exception"),
                               message=frame.get("message"), traceback=frame.get("traceback"))
        self.applied = dict(frame.get("applied") or {})
        self.started_at = time.time()
        self.state = "idle"

    def _call(self, function: str, args: dict[str, Any], wall_s: float, serve: ServeApi,
              notify: Notify) -> tuple[Any, Usage]:
        if self.exited.is_set() or self.state not in ("idle", "busy"):
            raise HostEnded(self.name)
        channel = self._require_channel()
        started = time.monotonic()
        self.breach, self.output_bytes, self.output_lines, self.state = None, 0, 0, "busy"
        self.call_cpu = self._arm_cpu()
        self.busy_since = started
        self.calls += 1
        channel.send({"t": "call", "fn": function, "args": args})
        deadline = started + wall_s
        while True:
            frame = self._next(channel, deadline, wall_s, started)
            kind = frame["t"]
            if kind == "ok":
                over = self._too_many_processes()
                if over is not None:
                    raise over
                return self._result(frame, started)
            if kind == "err":
                raise self._error(frame)
            served = time.monotonic()
            self._side(channel, frame, serve, notify)
            # The core's own time serving the host API (a model loading) is not the plugin's.
            deadline += time.monotonic() - served

    def _next(self, channel: Channel, deadline: float, wall_s: float, started: float,
              ) -> dict[str, Any]:
        try:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            channel.sock.settimeout(left)
            return channel.recv()
        except TimeoutError:
            spent = time.monotonic() - started
            self.kill(HubTimeout(
                f"plugin {self.name!r} took longer than its {wall_s:g} s wall time and was "
                "stopped; raise quotas.wall_s in its plugin.toml or pass a larger timeout_s",
                persona=self.persona, plugin=self.name, limit_s=wall_s, wall_s=spent))
            raise self._breach_or(HubTimeout("timeout")) from None  # reaped in the background
        except FrameTooLarge as exc:
            if exc.size > MAX_FRAME:  # no result is that large: a garbled header
                raise self._death(exc) from exc
            self.kill(self.quota("output_kb", exc.size))
            raise self._breach_or(self.quota("output_kb", exc.size)) from exc
        except ChannelError as exc:
            raise self._death(exc) from exc

    def _side(self, channel: Channel, frame: dict[str, Any], serve: ServeApi,
              notify: Notify) -> None:
        kind = frame["t"]
        if kind == "api" and isinstance(frame.get("op"), str):
            channel.send(_api_reply(serve, frame["op"], frame.get("args")))
        elif kind == "progress" and isinstance(frame.get("fraction"), float | int):
            notify("plugin.progress", {"fraction": float(frame["fraction"])})
        elif kind == "log":
            message = str(frame.get("message"))[:4096]
            log.info("plugin %s@%s: %s", self.name, self.persona, message)
            notify("plugin.log", {"level": str(frame.get("level")), "message": message})
        else:
            error = self._failed("protocol", f"plugin {self.name!r} sent a malformed message "
                                 f"on its channel ({str(frame)[:120]}) and was stopped")
            self.kill(error)
            raise error

    def _result(self, frame: dict[str, Any], started: float) -> tuple[Any, Usage]:
        packed = frame.get("packed")
        try:
            result = msgpack.unpackb(packed, raw=False, strict_map_key=False)
        except Exception as exc:  # a bad result is the plugin breaking the protocol
            error = self._failed("protocol", f"plugin {self.name!r} sent a result that is "
                                 f"not msgpack: {str(packed)[:80]}")
            self.kill(error)
            raise error from exc
        self.peak_rss = max(self.peak_rss, int(frame.get("maxrss") or 0))
        usage = Usage(cpu_s=float(frame.get("cpu") or 0.0),
                      wall_s=time.monotonic() - started, peak_rss=self.peak_rss)
        return result, usage

    def _error(self, frame: dict[str, Any]) -> HubError:
        refused = self._refused_fork() or self._too_many_processes()
        if refused is not None:
            return refused
        kind = frame.get("kind")
        if kind == "hub" and frame.get("code") == "forbidden":
            return Forbidden(str(frame.get("message")), **_map(frame.get("data")))
        if kind == "hub":
            return self._failed("exception", f"plugin {self.name!r} raised a hub API error "
                                f"it did not catch: {frame.get('message')}",
                                exception="HubApiError", message=str(frame.get("message")),
                                traceback="")
        if kind == "quota":
            error = self.quota(str(frame.get("quota")), frame.get("measured"))
            self.kill(error)  # its memory or descriptors may be in any state: start afresh
            return error
        return self._failed("exception", f"plugin {self.name!r} raised {frame.get('exception')}"
                            f": {frame.get('message')}", exception=frame.get("exception"),
                            message=frame.get("message"), traceback=frame.get("traceback"))

    def quota(self, quota: str, measured: float | None) -> QuotaExceeded:
        """The error for going over quota (measured in the quota's own unit or bytes)."""
        limit = getattr(self.manifest.quotas, quota, None)
        shown = _in_unit(quota, measured)
        peak = "" if shown is None else f", measured {shown:g}"
        return QuotaExceeded(
            f"plugin {self.name!r} exceeded its {quota} quota ({limit}{peak}); raise "
            f"quotas.{quota} in its plugin.toml or disable it", persona=self.persona,
            plugin=self.name, quota=quota, limit=limit, measured=shown)

    def _death(self, cause: BaseException) -> HubError:
        """The error for a host whose channel ended: the watchdog's, or how it died."""
        if not isinstance(cause, ChannelClosed) and not isinstance(cause, TimeoutError):
            error = self._failed("protocol", f"plugin {self.name!r} broke its channel's "
                                 f"format ({cause}) and was stopped")
            self.kill(error)
            return error
        if self.breach is not None:  # the watchdog's kill: the caller need not wait for the exit
            return self.breach
        self.wait(EXIT_WAIT_S)
        if self.breach is not None:
            return self.breach
        return self._refused_fork() or self._from_status(self.status)

    def _refused_fork(self) -> HubError | None:
        """The processes quota error if the pids cgroup refused a fork since the last look."""
        if self.cgroup is None:
            return None
        refused = cgroup.refusals(self.cgroup)
        if refused <= self.forks_refused:
            return None
        self.forks_refused = refused
        error = self.quota("processes", self.manifest.quotas.processes + 1)
        self.kill(error)  # its children too: they may have left its process group
        return error

    def _too_many_processes(self) -> HubError | None:
        """The processes quota error if the host holds more than its quota as a call ends.

        Checked at every reply, not only while the watchdog samples a call: a plugin that
        forks, catches the refusal and returns normally must not keep what it started.  With
        its seccomp filter (a quota of 0) the host cannot have started any.
        """
        if self.applied.get("seccomp"):
            return None
        strays = census.started(self.pid, self.cgroup, exact=self._contained)
        if len(strays) <= self.manifest.quotas.processes:
            return None
        error = self.quota("processes", len(strays))
        for pid in strays:
            _kill(pid)
        self.kill(error)
        return error

    @property
    def _contained(self) -> bool:
        """Whether everything the host starts stays in its pids cgroup: it joined it, and
        cannot leave it from its user namespace.  (A host that could not join is counted by
        its processes, not by its cgroup's empty list.)"""
        return (self.cgroup is not None and bool(self.applied.get("pids_cgroup"))
                and bool(self.applied.get("user_namespace")))

    def _from_status(self, status: int | None) -> HubError:
        if status is not None and status >= 0 and os.WIFSIGNALED(status):
            number = os.WTERMSIG(status)
            if number == signal.SIGXCPU:
                spent = max(self.sampled_cpu - self.call_cpu, self.manifest.quotas.cpu_s)
                return self.quota("cpu_s", round(spent, 2))
            name = signal.Signals(number).name
            return self._failed("signal", f"plugin {self.name!r} was killed by {name}",
                                signal=name)
        code = os.WEXITSTATUS(status) if status is not None and status >= 0 else None
        return self._failed("exit", f"plugin {self.name!r} host exited (code {code}) "
                            "during the call", code=code)

    def _breach_or(self, fallback: HubError) -> HubError:
        return self.breach if self.breach is not None else fallback

    def _failed(self, reason: str, text: str, **data: Any) -> PluginFailed:
        error = PluginFailed(text, persona=self.persona, plugin=self.name, reason=reason)
        error.data.update(data)  # may hold "message" (the plugin's), which HubError takes
        return error

    def _arm_cpu(self) -> float:
        """Re-arm RLIMIT_CPU for a call; the group's CPU seconds now.

        The watchdog stops the call at cpu_s (and reports what it measured); the soft rlimit,
        a second later, is the backstop should the watchdog be starved (SIGXCPU).
        """
        try:
            assert self.process is not None
            times = self.process.cpu_times()
            own = times.user + times.system
            soft = math.ceil(own + self.manifest.quotas.cpu_s) + 1
            resource.prlimit(self.pid, resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))
            return own + times.children_user + times.children_system
        except (psutil.Error, OSError):
            return 0.0

    def _require_channel(self) -> Channel:
        if self._channel is None:
            raise PluginFailed(f"plugin {self.name!r} host was not launched",
                               persona=self.persona, plugin=self.name, reason="exit")
        return self._channel


def _api_reply(serve: ServeApi, op: str, args: Any) -> dict[str, Any]:
    try:
        return {"t": "api_ok", "value": serve(op, args if isinstance(args, dict) else {})}
    except HubError as exc:
        return {"t": "api_err", **exc.to_wire()}
    except Exception as exc:  # a bug serving it: the host must still get its answer
        log.exception("the host API failed on %s", op)
        return {"t": "api_err", "code": "internal", "message": f"hub.{op} failed: "
                f"{type(exc).__name__}: {exc}", "data": None}


def _in_unit(quota: str, measured: float | None) -> float | None:
    if measured is None:
        return None
    if quota in ("memory_mb", "disk_mb"):
        return round(measured / MB, 1)
    if quota == "output_kb":
        return round(measured / 1024, 1)
    return measured


def _map(data: Any) -> dict[str, Any]:
    return dict(data) if isinstance(data, dict) else {}


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
