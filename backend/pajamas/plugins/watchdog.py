"""`Watchdog`: one core thread that samples every plugin host and kills those over a quota.

Every `sample_s` it reads each busy host's process group (psutil: RSS, CPU since the call
began, open files; children counted when the pids cgroup says there are any); idle hosts are
sampled once a second, and so is their scratch folder's size (a busy one's at every sample).
Between samples it drains the hosts' stdout/stderr pipes into the hub's log (counting them
against output_kb), waking on output instead of sleeping.  Liveness is judged from the core's
side, not by heartbeats the host sends: a plugin spinning in C holds the GIL and would starve
any heartbeat thread, while its process state is always readable; a host that is stopped,
traced or a zombie for 3 times `heartbeat_s` is killed (reason "heartbeat").
"""

from __future__ import annotations

import logging
import os
import selectors
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, final

import psutil

from pajamas.errors import HubError
from pajamas.plugins.sandbox import cgroup
from pajamas.plugins.sandbox.limits import HOST_FILES
from pajamas.plugins.supervisor import MB, Host
from pajamas.plugins.wakeup import drain

log = logging.getLogger(__name__)
IDLE_SAMPLE_S: Final = 1.0
DISK_SAMPLE_S: Final = 1.0
READ_CHUNK: Final = 65536
MAX_LOG_LINES: Final = 200  # per call: a flood must not flood the hub's log
_STUCK: Final = (psutil.STATUS_STOPPED, psutil.STATUS_TRACING_STOP, psutil.STATUS_ZOMBIE,
                 psutil.STATUS_DEAD)
OnBreach = Callable[[Host, HubError], None]
Tick = Callable[[float], None]


@dataclass
class Sample:
    """A host group's figures at one moment."""

    rss: int
    cpu: float
    files: int
    processes: int
    stuck: bool


@final
class Watchdog:
    """Samples hosts, drains their output, kills those that breach; calls on_breach."""

    def __init__(self, hosts: Callable[[], list[Host]], on_breach: OnBreach, *,
                 sample_s: float, heartbeat_s: float, tick: Tick) -> None:
        self._hosts, self._on_breach, self._tick = hosts, on_breach, tick
        self._sample_s, self._heartbeat_s = sample_s, heartbeat_s
        self._selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._selector.register(self._wake_read, selectors.EVENT_READ, None)
        self._watched: dict[int, Host] = {}
        self._last: dict[int, float] = {}
        self._stuck_since: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="plugin-watchdog", daemon=True)

    def start(self) -> None:
        """Start sampling."""
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling (at core shutdown)."""
        self._stop.set()
        self.wake()
        self._thread.join(2.0)

    def wake(self) -> None:
        """Look again now (a host started, a call began)."""
        try:
            os.write(self._wake_write, b"x")
        except BlockingIOError:
            return

    def _run(self) -> None:
        next_sample = time.monotonic()
        while not self._stop.is_set():
            try:
                next_sample = self._turn(next_sample)
            except Exception:  # the watchdog must outlive any one host's odd state
                log.exception("plugin watchdog round failed")
                time.sleep(self._sample_s)
        for fd in list(self._watched):
            self._forget(fd)

    def _turn(self, next_sample: float) -> float:
        self._follow_outputs()
        for key, _ in self._selector.select(max(0.0, next_sample - time.monotonic())):
            self._readable(key.fd, key.data)
        now = time.monotonic()
        if now >= next_sample:
            next_sample = now + self._sample_s
            self._sample_all(now)
            self._tick(now)
        return next_sample

    def _follow_outputs(self) -> None:
        """Watch new hosts' output pipes; close those of ended hosts (this thread owns them)."""
        live = {id(host): host for host in self._hosts()}
        for fd, host in list(self._watched.items()):
            if host.done or id(host) not in live:
                self._forget(fd)
        for host in live.values():
            fd = host.output_fd
            if fd >= 0 and fd not in self._watched and not host.done:
                self._selector.register(fd, selectors.EVENT_READ, host)
                self._watched[fd] = host

    def _forget(self, fd: int) -> None:
        host = self._watched.pop(fd)
        self._selector.unregister(fd)
        os.close(fd)
        host.output_fd = -1

    def _readable(self, fd: int, host: Host | None) -> None:
        if host is None:
            drain(fd)
            return
        try:
            chunk = os.read(fd, READ_CHUNK)
        except (BlockingIOError, OSError):
            return
        if not chunk:
            self._forget(fd)
            return
        host.output_bytes += len(chunk)
        limit = host.manifest.quotas.output_kb * 1024
        if host.output_bytes > limit:
            self._breach(host, host.quota("output_kb", host.output_bytes))
            return
        for line in chunk.decode("utf-8", "replace").splitlines():
            host.output_lines += 1
            if host.output_lines <= MAX_LOG_LINES:
                log.info("plugin %s@%s: %s", host.name, host.persona, line[:2000])
            elif host.output_lines == MAX_LOG_LINES + 1:
                log.info("plugin %s@%s: (more output in this call is counted, not logged)",
                         host.name, host.persona)

    def _sample_all(self, now: float) -> None:
        for host in self._hosts():
            if host.state not in ("idle", "busy") or host.exited.is_set():
                continue
            busy = host.busy_since is not None
            if not busy and now - self._last.get(host.pid, 0.0) < IDLE_SAMPLE_S:
                continue
            self._last[host.pid] = now
            self._check(host, now, busy)

    def _check(self, host: Host, now: float, busy: bool) -> None:
        sample = _sample(host)
        if sample is None:
            return
        host.rss = sample.rss
        host.peak_rss = max(host.peak_rss, sample.rss)
        if host.sampled_at:
            spent = now - host.sampled_at
            host.cpu_percent = round(100 * (sample.cpu - host.sampled_cpu) / spent, 1) \
                if spent > 0 else 0.0
        host.sampled_at, host.sampled_cpu = now, sample.cpu
        breach = self._over(host, sample, busy) or self._disk(host, now, busy)
        if breach is None and self._stuck(host, sample.stuck, now):
            breach = _heartbeat(host, self._heartbeat_s)
        if breach is not None:
            self._breach(host, breach)

    def _over(self, host: Host, sample: Sample, busy: bool) -> HubError | None:
        quotas = host.manifest.quotas
        if sample.rss > quotas.memory_mb * MB:
            return host.quota("memory_mb", sample.rss)
        if busy and sample.cpu - host.call_cpu > quotas.cpu_s:
            return host.quota("cpu_s", round(sample.cpu - host.call_cpu, 2))
        if sample.files > quotas.open_files + HOST_FILES:
            return host.quota("open_files", sample.files - HOST_FILES)
        if sample.processes - 1 > quotas.processes:
            return host.quota("processes", sample.processes - 1)
        return None

    def _disk(self, host: Host, now: float, busy: bool) -> HubError | None:
        key = -host.pid
        if not busy and now - self._last.get(key, 0.0) < DISK_SAMPLE_S:
            return None
        self._last[key] = now
        used = folder_size(host.scratch)
        return host.quota("disk_mb", used) if used > host.manifest.quotas.disk_mb * MB else None

    def _stuck(self, host: Host, stuck: bool, now: float) -> bool:
        if not stuck:
            self._stuck_since.pop(host.pid, None)
            return False
        since = self._stuck_since.setdefault(host.pid, now)
        return now - since >= 3 * self._heartbeat_s

    def _breach(self, host: Host, error: HubError) -> None:
        if host.state == "killed":
            return
        host.kill(error)
        self._on_breach(host, error)


def _sample(host: Host) -> Sample | None:
    process = host.process
    if process is None:
        return None
    try:
        with process.oneshot():
            rss, times = process.memory_info().rss, process.cpu_times()
            files, status = process.num_fds(), process.status()
        cpu = times.user + times.system + times.children_user + times.children_system
        threads = process.num_threads()
        count = cgroup.count(host.cgroup) if host.cgroup is not None else 0
        children = process.children(recursive=True) if count != threads else []
    except psutil.Error:
        return None
    sample = Sample(rss=rss, cpu=cpu, files=files, processes=1, stuck=status in _STUCK)
    for child in children:
        _add_child(sample, child)
    return sample


def _add_child(sample: Sample, child: psutil.Process) -> None:
    try:
        with child.oneshot():
            sample.rss += child.memory_info().rss
            times = child.cpu_times()
            sample.files += child.num_fds()
    except psutil.Error:
        return
    sample.cpu += times.user + times.system
    sample.processes += 1


def _heartbeat(host: Host, heartbeat_s: float) -> HubError:
    from pajamas.errors import PluginFailed  # noqa: PLC0415

    return PluginFailed(f"plugin {host.name!r} host stopped responding (stopped or defunct for "
                        f"{3 * heartbeat_s:g} s) and was killed", persona=host.persona,
                        plugin=host.name, reason="heartbeat")


def folder_size(folder: Path) -> int:
    """The bytes of the files under folder."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                continue
    return total
