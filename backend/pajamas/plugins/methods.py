"""The plugin.* methods, and `install`, which adds the plugin registry and runtime to the core.

`install` adds the "plugins" stage, after "metadata" and "personas": it builds the registry on
`<home>/hub.db` (nothing heavy), then the "plugin_runtime" stage: the `Runtime` that runs
calls in sandboxed hosts (the template process and the watchdog start on the first call).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pajamas.context import Shed
from pajamas.errors import InvalidParams
from pajamas.personas.model import check_page
from pajamas.plugins.model import Plugin  # at run time: the registry reads the hints
from pajamas.rpc.methods import Registry
from pajamas.stages import Slot

if TYPE_CHECKING:
    from pajamas.cache.service import CacheService
    from pajamas.context import Context
    from pajamas.memory.service import MemoryService
    from pajamas.monitor.watchlist import Watchlist
    from pajamas.personas.service import PersonaService
    from pajamas.plugins.registry import PluginRegistry
    from pajamas.plugins.runtime import Runtime
    from pajamas.store.metadata import MetadataStore


class PluginSlots(NamedTuple):
    """What other features read of the plugins: the registry, and the runtime that calls."""

    registry: Slot[PluginRegistry]
    runtime: Slot[Runtime]


def install(ctx: Context, metadata: Slot[MetadataStore], personas: Slot[PersonaService],
            memory: Slot[MemoryService], *, cache: Slot[CacheService],
            watchlist: Watchlist) -> PluginSlots:
    """Add the plugins and plugin_runtime stages and the plugin.* methods; their slots.

    Hosts run for personas, serve the host API from their persona's memory, and are sampled
    by the monitor through `watchlist`; pure functions' results are kept in the cache once it
    is up.
    """
    plugins = ctx.stages.add("plugins", lambda: _registry(ctx, metadata.get(), personas.get()),
                             needs=(metadata, personas))
    runtime = ctx.stages.add("plugin_runtime",
                             lambda: _runtime(ctx, plugins.get(), personas.get(), memory,
                                              cache=cache, watchlist=watchlist),
                             stop=lambda runtime: runtime.close(), needs=(plugins, memory))
    register(ctx.registry, plugins, runtime)
    return PluginSlots(plugins, runtime)


def _runtime(ctx: Context, registry: PluginRegistry, personas: PersonaService,
             memory: Slot[MemoryService], *, cache: Slot[CacheService],
             watchlist: Watchlist) -> Runtime:
    from pajamas.plugins.hostapi import HostApi  # noqa: PLC0415
    from pajamas.plugins.results import PluginResults  # noqa: PLC0415
    from pajamas.plugins.runtime import Runtime, RuntimeSettings  # noqa: PLC0415

    settings = ctx.settings
    runtime = Runtime(ctx.home, registry, personas.require, HostApi(memory),
                      publish=ctx.publish, settings=RuntimeSettings(
                          idle_s=settings.plugin_idle_s,
                          max_failures=settings.plugin_max_failures,
                          heartbeat_s=settings.plugin_heartbeat_s,
                          sample_s=settings.plugin_sample_s), watchlist=watchlist,
                      results=PluginResults.of(cache))
    personas.on_delete(runtime.forget_persona)
    ctx.add_shed(Shed("plugin_hosts", runtime.shed))
    ctx.add_info("containment", runtime.containment)
    return runtime


def _registry(ctx: Context, store: MetadataStore, personas: PersonaService) -> PluginRegistry:
    from pajamas.plugins.registry import PluginRegistry, default_quotas  # noqa: PLC0415

    registry = PluginRegistry(store, ctx.home, default_quotas(ctx.settings),
                              require_persona=personas.require, clock=ctx.clock)
    personas.add_usage("plugins", lambda persona: len(registry.enabled(persona)))
    return registry


def register(registry: Registry, plugins: Slot[PluginRegistry],
             runtime: Slot[Runtime] | None = None) -> None:
    """Add the plugin.* methods, served by the registry (and runtime) in the slots."""
    runtime = runtime or Slot("plugin_runtime")

    def install_(path: str) -> Plugin:
        """Install a plugin from a folder or a .zip of one; returns the plugin.

        The manifest is checked (errors name the key and the rule), the files are copied under
        the home and their SHA-256 recorded.  A plugin of the same name is a conflict.
        A plugin is {"name", "version", "description", "permissions", "quotas", "functions",
        "installed_at"}.
        """
        return plugins.get().install(Path(path).expanduser())

    def list_(offset: int = 0, limit: int = 50, query: str | None = None) -> dict[str, Any]:
        """List installed plugins by name, a page at a time: {"items": [plugin], "total"}.

        `query` keeps those whose name or description holds it (any case).
        """
        check_page(offset, limit)
        return plugins.get().list(offset=offset, limit=limit, query=query)

    def uninstall(name: str) -> dict[str, Any]:
        """Uninstall a plugin, deleting its files: {"uninstalled": true}.

        Its running hosts are stopped first (plugin.stopped, reason "uninstalled").
        """
        plugins.get().get(name)
        hosts = runtime.peek()
        if hosts is not None:
            hosts.forget_plugin(name)
        plugins.get().uninstall(name)
        return {"uninstalled": True}

    def verify(name: str) -> dict[str, Any]:
        """Re-check a plugin's files against the hashes recorded at install: {"verified": true}.

        A modified plugin is refused with plugin_failed, naming the files that changed.
        """
        plugins.get().verify(name)
        return {"verified": True}

    def enable(persona: str, name: str) -> dict[str, Any]:
        """Enable a plugin for a persona (by id): {"enabled": true}.

        not_found if the persona or the plugin is absent.
        """
        enabled = plugins.get().set_enabled(persona, name, True)
        hosts = runtime.peek()
        if hosts is not None:
            hosts.enabled(persona, name)
        return {"enabled": enabled}

    def disable(persona: str, name: str) -> dict[str, Any]:
        """Disable a plugin for a persona (by id): {"enabled": false}.

        not_found if the persona or the plugin is absent.  Its host for the persona is
        stopped (plugin.stopped, reason "disabled").
        """
        enabled = plugins.get().set_enabled(persona, name, False)
        hosts = runtime.peek()
        if hosts is not None:
            hosts.stop(persona, name, "disabled")
        return {"enabled": enabled}

    def enabled(persona: str) -> dict[str, Any]:
        """The plugins enabled for a persona (by id): {"items": [name]}."""
        return {"items": plugins.get().enabled(persona)}

    def call(persona: str, name: str, function: str, args: dict[str, Any] | None = None,
             timeout_s: float | None = None) -> dict[str, Any]:
        """Call a plugin's function for a persona (by id): {"result", "usage"}.

        The function runs in the plugin's sandboxed host for that persona (started on the
        first call, kept warm), with `args` as keyword arguments.  `timeout_s` may only lower
        the manifest's wall_s.  usage is {"cpu_s", "wall_s", "peak_rss" (bytes)}.  A function
        its manifest marks pure is answered from the cache when the same persona called it with
        the same args since the plugin was installed; no host runs then, and usage is all
        zeros.  not_found if the persona, the plugin or the function is absent; forbidden if the
        plugin is not enabled for the persona or uses the host API beyond its permissions;
        quota_exceeded (data: persona, plugin, quota, limit, measured), timeout (data:
        limit_s, wall_s) or plugin_failed (data: reason "exception" with exception, message
        and traceback, "signal" with signal, "exit", "protocol", "heartbeat", "disabled" or
        "modified") when the plugin misbehaves; its host is then killed.
        """
        return runtime.get().call(persona, name, function, args, timeout_s)

    def status(persona: str | None = None) -> dict[str, Any]:
        """List the plugin hosts (of a persona only, if given), with their state and usage.

        Returns {"items": [{"persona", "name", "pid", "state", "rss", "cpu_percent", "calls",
        "kills", "started_at"}]}; state is "starting", "idle", "busy", "stopped", "killed" or
        "disabled"; rss is in bytes; started_at the time the host was ready (null before).
        """
        hosts = runtime.peek()
        return {"items": []} if hosts is None else hosts.status(persona)

    methods: dict[str, Callable[..., Any]] = {
        "install": install_, "list": list_, "uninstall": uninstall, "verify": verify,
        "enable": enable, "disable": disable, "enabled": enabled, "call": call,
        "status": status, **_window_methods(plugins, runtime)}
    for name, func in methods.items():
        registry.add(f"plugin.{name}", func)


def _window_methods(plugins: Slot[PluginRegistry], runtime: Slot[Runtime],
                    ) -> dict[str, Callable[..., dict[str, Any]]]:
    """plugin.inspect, plugin.quotas, plugin.stop and plugin.kills (what the window's plugins
    page needs beyond the rest)."""

    def inspect(path: str) -> dict[str, Any]:
        """Read and check the manifest of a plugin (a folder or a .zip) without installing it.

        Returns the plugin as install would ({"name", "version", "description",
        "permissions", "quotas", "functions"}, quotas with the defaults filled in) and
        "installed": whether a plugin of that name is installed already.  A broken manifest
        is refused with invalid_params, as install refuses it.
        """
        return plugins.get().inspect(Path(path).expanduser())

    def quotas(persona: str, name: str, lowered: dict[str, Any] | None = None,
               ) -> dict[str, Any]:
        """A plugin's quotas for a persona (by id); lowers them if `lowered` is given.

        `lowered` maps quota names to whole numbers no higher than the plugin's own (an empty
        map lowers none); a running host for the persona is stopped so the next call starts
        under them (plugin.stopped, reason "requested").  Returns {"quotas" (in force for
        the persona), "lowered" (only the lowered keys), "plugin" (the manifest's)}.
        """
        if lowered is not None:
            plugins.get().lower(persona, name, lowered)
            hosts = runtime.peek()
            if hosts is not None:
                hosts.stop(persona, name, "requested")
        return plugins.get().quotas(persona, name)

    def stop(persona: str, name: str) -> dict[str, Any]:
        """Stop the plugin's host for a persona (by id) now: {"stopped": bool}.

        stopped is false when no host ran.  The plugin stays enabled: the next call starts a
        host again.  Publishes plugin.stopped, reason "requested".
        """
        hosts = runtime.peek()
        return {"stopped": hosts is not None and hosts.stop(persona, name, "requested")}

    def kills(persona: str | None = None, limit: int = 200) -> dict[str, Any]:
        """The last plugin hosts killed and the plugins disabled after failures, newest first.

        Only a persona's, if given.  Returns {"items": [{"time", "persona", "name", "pid",
        "reason", "message", "quota"?, "limit"?, "measured"?}], "disabled": [{"time",
        "persona", "name", "failures", "reason"}]}; reason is "quota", "timeout" or how the
        host died (as plugin.killed's).  The core keeps the last 200 kills since it started;
        a disabling is listed until the plugin is enabled again for the persona.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 200:
            raise InvalidParams(f"limit must be a whole number from 1 to 200, not {limit!r}",
                                field="limit")
        hosts = runtime.peek()
        return {"items": [], "disabled": []} if hosts is None else hosts.kills(persona, limit)

    return {"inspect": inspect, "quotas": quotas, "stop": stop, "kills": kills}
