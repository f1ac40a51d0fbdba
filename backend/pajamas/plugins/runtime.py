"""`Runtime`: the plugin hosts of a core, one per (persona, plugin), and what happens to them.

A host starts on the first call (its plugin's files verified again first), stays warm, and is
stopped after `plugin_idle_s` without calls, when memory runs short (a `Shed`), at shutdown,
and when its plugin is uninstalled or disabled or its persona deleted.  Failures in a row are
counted per (persona, plugin): `plugin_max_failures` of them disable the plugin for the persona.
Given `PluginResults`, a call of a pure function that was answered before is answered from
the cache, once the call is checked (the persona, the plugin enabled for it, the function).
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NamedTuple, final

from pajamas.errors import (
    Forbidden,
    HubError,
    HubTimeout,
    InvalidParams,
    NotFound,
    PluginError,
    PluginFailed,
    PluginModified,
)
from pajamas.plugins.forkserver import Template
from pajamas.plugins.hostapi import HostApi
from pajamas.plugins.results import PluginResults, PureCall
from pajamas.plugins.sandbox import cgroup
from pajamas.plugins.sandbox.paths import readable_paths
from pajamas.plugins.supervisor import EXIT_WAIT_S, Host, HostEnded, Usage
from pajamas.plugins.watchdog import Watchdog

if TYPE_CHECKING:
    from pajamas.monitor.watchlist import Watchlist
    from pajamas.plugins.registry import PluginRegistry

log = logging.getLogger(__name__)
DATA: Final = "plugin-data"
#: The containment features a host reports (system.info's `containment`, with "forkserver").
FEATURES: Final = ("rlimits", "process_group", "pids_cgroup", "user_namespace",
                   "hidden_folders", "network_namespace", "landlock", "no_new_privs", "scratch_cwd",
                   "seccomp")
#: How many kills the runtime remembers for plugin.kills (the oldest go first).
KILLS_KEPT: Final = 200
Key = tuple[str, str]
Publish = Callable[[str, Any], None]


@dataclass(frozen=True)
class RuntimeSettings:
    """The settings the runtime follows."""

    idle_s: float
    max_failures: int
    heartbeat_s: float
    sample_s: float


class _Plan(NamedTuple):
    """What a checked call needs: its plugin's wall_s, and whether its function is pure and
    the plugin may read the persona's memory (for the result cache)."""

    wall_s: int
    pure: bool
    reads_memory: bool


@final
class Runtime:
    """Runs plugin calls in sandboxed hosts."""

    def __init__(self, home: Path, registry: PluginRegistry,
                 require_persona: Callable[[str], None], api: HostApi, *, publish: Publish,
                 settings: RuntimeSettings, watchlist: Watchlist | None = None,
                 results: PluginResults | None = None) -> None:
        self._home, self._registry, self._require = home, registry, require_persona
        self._api, self._publish, self._settings = api, publish, settings
        self._watchlist = watchlist
        self._results = results
        self._releases: dict[str, str] = {}  # plugin → PluginRegistry.release, until uninstalled
        self._hosts: dict[Key, Host] = {}
        self._failures: dict[Key, int] = {}
        self._kills: deque[dict[str, Any]] = deque(maxlen=KILLS_KEPT)
        self._disabled: dict[Key, dict[str, Any]] = {}  # disabled after failures, until enabled
        self._starting: dict[Key, threading.Lock] = {}
        self._lock = threading.Lock()
        self.template = Template()
        self._cgroups: Path | None = None  # this core's pids cgroup folder, made on first use
        self._watchdog = Watchdog(self.hosts, self._on_breach, sample_s=settings.sample_s,
                                  heartbeat_s=settings.heartbeat_s, tick=self._tick)
        self._watching = False
        self._containment: dict[str, Any] | None = None
        self._probing = threading.Lock()  # one probe at a time: callers meanwhile wait for it

    def hosts(self) -> list[Host]:
        """Every host the runtime knows, live or ended."""
        with self._lock:
            return list(self._hosts.values())

    def call(self, persona: str, name: str, function: str, args: dict[str, Any] | None,
             timeout_s: float | None) -> dict[str, Any]:
        """Run the plugin's function for the persona: {"result", "usage"}.

        A pure function's result may come from the cache instead (usage all zeros).
        """
        plan = self._check_call(persona, name, function, args)
        wall = _wall(plan.wall_s, timeout_s)

        def run() -> dict[str, Any]:
            return self._run_call(persona, name, function, args or {}, wall)

        if self._results is None or not plan.pure:
            return run()
        pure = PureCall(persona, name, self._release(name), function, args or {},
                        plan.reads_memory)
        return self._results.call(pure, run)

    def _run_call(self, persona: str, name: str, function: str, args: dict[str, Any],
                  wall: float) -> dict[str, Any]:
        host: Host | None = None
        try:
            host = self._host(persona, name)
            try:
                result, usage = self._run(host, function, args, wall)
            except HostEnded:  # stopped for idleness just before the call: start another
                host = self._host(persona, name)
                result, usage = self._run(host, function, args, wall)
        except (PluginError, HubTimeout) as exc:  # a plugin that cannot load counts too
            if not _answered(host, exc):
                self._failed(persona, name, host, exc)
            raise
        self._failures.pop((persona, name), None)
        return {"result": result, "usage": asdict(usage)}

    def status(self, persona: str | None = None) -> dict[str, Any]:
        """The hosts (of the persona): {"items": [{persona, name, pid, state, rss, ...}]}."""
        items = [{"persona": h.persona, "name": h.name, "pid": h.pid, "state": h.state,
                  "rss": h.rss, "cpu_percent": h.cpu_percent, "calls": h.calls,
                  "kills": h.kills, "started_at": h.started_at}
                 for h in sorted(self.hosts(), key=lambda h: (h.persona, h.name))
                 if persona is None or h.persona == persona]
        return {"items": items}

    def stop(self, persona: str | None, name: str | None, reason: str) -> bool:
        """Stop the hosts of persona and/or plugin (None: any), publishing plugin.stopped;
        whether one was running."""
        stopped = False
        for host in self.hosts():
            if persona in (None, host.persona) and name in (None, host.name):
                stopped = self._stop(host, reason, wait=True) or stopped
        return stopped

    def kills(self, persona: str | None = None, limit: int = KILLS_KEPT) -> dict[str, Any]:
        """The last kills, newest first, and the plugins disabled after failures (of persona).

        {"items": [{"time", "persona", "name", "pid", "reason", "message", "quota"?,
        "limit"?, "measured"?}], "disabled": [{"time", "persona", "name", "failures",
        "reason"}]}.
        """
        with self._lock:
            kills = [k for k in reversed(self._kills) if persona in (None, k["persona"])]
            disabled = [d for d in self._disabled.values() if persona in (None, d["persona"])]
        return {"items": kills[:limit], "disabled": disabled}

    def enabled(self, persona: str, name: str) -> None:
        """The plugin was enabled again for the persona: its failures are forgotten."""
        with self._lock:
            self._disabled.pop((persona, name), None)
            self._failures.pop((persona, name), None)

    def forget_persona(self, persona: str) -> None:
        """Stop the persona's hosts and delete their scratch folders and cached results
        (persona deletion)."""
        self.stop(persona, None, "disabled")  # first: a call it ends stores no result
        if self._results is not None:
            self._results.forget_persona(persona)
        with self._lock:
            for key in [k for k in self._hosts if k[0] == persona]:
                del self._hosts[key]
        shutil.rmtree(self._home / DATA / persona, ignore_errors=True)

    def forget_plugin(self, name: str) -> None:
        """Stop the plugin's hosts and delete its scratch folders and cached results (before
        an uninstall)."""
        self.stop(None, name, "uninstalled")  # first: a call it ends stores no result
        self._releases.pop(name, None)
        if self._results is not None:
            self._results.forget_plugin(name)
        for folder in (self._home / DATA).glob(f"*/{name}"):
            shutil.rmtree(folder, ignore_errors=True)

    def shed(self) -> int:
        """Stop every idle host (memory pressure); the bytes they held."""
        freed = 0
        for host in self.hosts():
            if host.state == "idle" and not host.lock.locked():
                freed += host.rss
                self._stop(host, "idle", wait=False)
        return freed

    def close(self) -> None:
        """Stop every host, the watchdog and the template (core shutdown)."""
        self.stop(None, None, "shutdown")
        if self._watching:
            self._watchdog.stop()
        self.template.stop()
        if self._cgroups is not None:
            cgroup.remove(self._cgroups)

    def containment(self) -> dict[str, bool]:
        """Which containment features hold in hosts here, from a real host (a probe, run once)."""
        with self._probing:
            if self._containment is None or "seccomp" not in self._containment:
                self._containment = self._probe()  # it tries every step, the seccomp filter too
            probed = self._containment
        found = {feature: bool(probed.get(feature)) for feature in FEATURES}
        return {**found, "forkserver": self.template.running}

    def _run(self, host: Host, function: str, args: dict[str, Any], wall: float,
             ) -> tuple[Any, Usage]:
        persona, name = host.persona, host.name
        return host.call(function, args, wall,
                         lambda op, a: self._api.handle(persona, host.manifest, op, a),
                         lambda topic, data: self._publish(topic, {
                             "persona": persona, "name": name, **data}))

    def _check_call(self, persona: str, name: str, function: str, args: Any) -> _Plan:
        """Refuse a call that cannot run; what the call needs to run.

        A live host proves the persona exists and the plugin is installed and enabled for it
        (deleting, uninstalling and disabling stop hosts first), so a warm call skips the
        database.
        """
        if args is not None and not isinstance(args, dict):
            raise InvalidParams(f"args must be a map of keyword arguments, not {args!r:.80}",
                                field="args")
        with self._lock:
            live = self._hosts.get((persona, name))
        if live is not None and live.state in ("idle", "busy"):
            manifest = live.manifest
            _check_function(name, function, manifest.functions)
            return _Plan(manifest.quotas.wall_s, manifest.functions[function].pure,
                         manifest.permissions.memory_read)
        self._require(persona)
        plugin = self._registry.get(name)
        _check_function(name, function, plugin["functions"])
        if name not in self._registry.enabled(persona):
            raise Forbidden(f"plugin {name!r} is not enabled for persona {persona!r}",
                            persona=persona, plugin=name, hint="plugin.enable")
        wall_s = self._registry.lowered(persona, name).get("wall_s", plugin["quotas"]["wall_s"])
        return _Plan(int(wall_s),
                     bool(plugin["functions"][function].get("pure", False)),
                     bool(plugin["permissions"].get("memory_read", False)))

    def _release(self, name: str) -> str:
        release = self._releases.get(name)
        if release is None:
            release = self._releases[name] = self._registry.release(name)
        return release

    def _host(self, persona: str, name: str) -> Host:
        key = (persona, name)
        with self._lock:
            starting = self._starting.setdefault(key, threading.Lock())
        with starting:
            with self._lock:
                host = self._hosts.get(key)
            if host is not None and host.state in ("idle", "busy"):
                return host
            if host is not None:
                host.cleanup()
            return self._launch(persona, name, host)

    def _launch(self, persona: str, name: str, previous: Host | None) -> Host:
        try:
            manifest = self._registry.verify(name)
        except PluginModified as exc:
            exc.data.update(persona=persona, reason="modified")
            raise
        lowered = self._registry.lowered(persona, name)
        if lowered:  # the persona's lower quotas hold in the host and for the watchdog
            manifest = replace(manifest, quotas=replace(manifest.quotas, **lowered))
        scratch = self._home / DATA / persona / name
        scratch.mkdir(parents=True, exist_ok=True)
        folder = self._registry.path(name, manifest.version)
        host = Host(persona, manifest, scratch)
        if previous is not None:
            host.calls, host.kills = previous.calls, previous.kills
        read = readable_paths(folder, manifest.permissions.network, self._home)
        config = {"plan": {"scratch": str(scratch), "read": read,
                           "quotas": asdict(manifest.quotas),
                           "network": manifest.permissions.network,
                           "hide": [str(self._home / "run")]},
                  "folder": str(folder), "entry": manifest.entry,
                  "output_kb": manifest.quotas.output_kb}
        self._ensure_watchdog()
        try:
            host.launch(self.template, config, self._cgroup_folder())
        except HubError:
            host.cleanup()
            raise
        self._started(host)
        return host

    def _started(self, host: Host) -> None:
        with self._lock:
            self._hosts[(host.persona, host.name)] = host
        if self._watchlist is not None:
            self._watchlist.watch(host.pid, "plugin", f"{host.name}@{host.persona}")
        self._watchdog.wake()
        known = self._containment or {}
        self._containment = {**host.applied}
        if "seccomp" not in host.applied and "seccomp" in known:  # tried with processes = 0 only
            self._containment["seccomp"] = known["seccomp"]
        if host.applied.get("errors"):
            log.warning("plugin host %s@%s runs without some containment: %s", host.name,
                        host.persona, "; ".join(host.applied["errors"]))
        self._publish("plugin.started", {"persona": host.persona, "name": host.name,
                                         "pid": host.pid})

    def _cgroup_folder(self) -> Path | None:
        with self._lock:
            if self._cgroups is None:
                base = cgroup.root()
                self._cgroups = None if base is None else _core_cgroup(base)
            return self._cgroups

    def _ensure_watchdog(self) -> None:
        with self._lock:
            if not self._watching:
                self._watching = True
                self._watchdog.start()

    def _stop(self, host: Host, reason: str, *, wait: bool) -> bool:
        if host.state not in ("idle", "busy", "starting"):
            return False
        if host.busy_since is not None:
            host.breach = PluginFailed(f"plugin {host.name!r} was stopped during the call "
                                       f"({reason})", persona=host.persona, plugin=host.name,
                                       reason="disabled")
        host.kill(state="disabled" if reason == "disabled" else "stopped")
        self._ended(host)
        self._publish("plugin.stopped", {"persona": host.persona, "name": host.name,
                                         "pid": host.pid, "reason": reason})
        if wait:
            host.wait(EXIT_WAIT_S)
            host.cleanup()
        else:
            threading.Thread(target=_reap, args=(host,), daemon=True).start()
        return True

    def _ended(self, host: Host) -> None:
        if self._watchlist is not None:
            self._watchlist.unwatch(host.pid)

    def _failed(self, persona: str, name: str, host: Host | None, error: HubError) -> None:
        if host is not None and host.state == "killed":
            self._killed(host, error)
        key = (persona, name)
        with self._lock:
            count = self._failures[key] = self._failures.get(key, 0) + 1
        if count >= self._settings.max_failures:
            self._disable(persona, name, host, count, error)

    def _killed(self, host: Host, error: HubError) -> None:
        host.kills += 1
        self._ended(host)
        data: dict[str, Any] = {key: error.data[key] for key in ("quota", "limit", "measured")
                                if key in error.data}
        reason = ("quota" if "quota" in data else "timeout" if isinstance(error, HubTimeout)
                  else str(error.data.get("reason", "signal")))
        event: dict[str, Any] = {"persona": host.persona, "name": host.name, "pid": host.pid,
                 "reason": reason, **data}
        with self._lock:
            self._kills.append({"time": time.time(), **event, "message": error.message})
        self._publish("plugin.killed", event)
        threading.Thread(target=_reap, args=(host,), daemon=True).start()

    def _disable(self, persona: str, name: str, host: Host | None, count: int,
                 error: HubError) -> None:
        self._registry.set_enabled(persona, name, False)
        with self._lock:
            self._failures.pop((persona, name), None)
        if host is not None:
            self._stop(host, "disabled", wait=False)
            host.state = "disabled"
        log.warning("plugin %s disabled for %s after %d failures: %s", name, persona, count,
                    error.message)
        event = {"persona": persona, "name": name, "failures": count, "reason": error.message}
        with self._lock:
            self._disabled[(persona, name)] = {"time": time.time(), **event}
        self._publish("plugin.disabled", event)

    def _on_breach(self, host: Host, error: HubError) -> None:
        if host.busy_since is None:  # no caller to tell: count it here
            self._failed(host.persona, host.name, host, error)

    def _tick(self, now: float) -> None:
        for host in self.hosts():
            if (host.state == "idle" and not host.lock.locked()
                    and time.monotonic() - host.last_used > self._settings.idle_s):
                self._stop(host, "idle", wait=False)

    def _probe(self) -> dict[str, Any]:
        from pajamas.plugins.sandbox.probe import probe  # noqa: PLC0415

        return probe(self.template, self._home / DATA, readable_paths(None, False, self._home),
                     self._cgroup_folder())


def _answered(host: Host | None, error: HubError) -> bool:
    """Whether the plugin answered error itself (raised, its host alive): no failure to count.

    An exception is the plugin's answer to bad input (calculator's "1/0"); only kills,
    crashes and hosts that cannot start count towards plugin_max_failures.
    """
    return (host is not None and host.state != "killed"
            and error.data.get("reason") == "exception")


def _check_function(name: str, function: str, functions: Mapping[str, Any]) -> None:
    if function not in functions:
        raise NotFound(f"plugin {name!r} declares no function {function!r}; it has "
                       f"{', '.join(sorted(functions))}", plugin=name, function=function)


def _wall(limit: int, timeout_s: float | None) -> float:
    if timeout_s is None:
        return float(limit)
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float) or timeout_s <= 0:
        raise InvalidParams(f"timeout_s must be a positive number of seconds, not {timeout_s!r}",
                            field="timeout_s")
    return min(float(limit), float(timeout_s))


def _core_cgroup(base: Path) -> Path | None:
    try:
        return cgroup.core_folder(base)
    except OSError as exc:
        log.warning("plugin hosts get no pids cgroup: %s", exc)
        return None


def _reap(host: Host) -> None:
    host.wait(EXIT_WAIT_S)
    host.cleanup()
