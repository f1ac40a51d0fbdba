"""The plugin.* methods, and `install`, which adds the plugin registry and runtime to the core.

`install` adds the "plugins" stage, after "metadata" and "personas": it builds the registry on
`<home>/hub.db` (nothing heavy), then the "plugin_runtime" stage: the `Runtime` that runs
calls in sandboxed hosts (the template process and the watchdog start on the first call).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pajamas.context import Shed
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


def install(ctx: Context, metadata: Slot[MetadataStore], personas: Slot[PersonaService],
            memory: Slot[MemoryService], *, cache: Slot[CacheService],
            watchlist: Watchlist) -> Slot[PluginRegistry]:
    """Add the plugins and plugin_runtime stages and the plugin.* methods; the registry's slot.

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
    return plugins


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
        return {"enabled": plugins.get().set_enabled(persona, name, True)}

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
        "kills"}]}; state is "starting", "idle", "busy", "stopped", "killed" or "disabled";
        rss is in bytes.
        """
        hosts = runtime.peek()
        return {"items": []} if hosts is None else hosts.status(persona)

    for name, func in (("install", install_), ("list", list_), ("uninstall", uninstall),
                       ("verify", verify), ("enable", enable), ("disable", disable),
                       ("enabled", enabled), ("call", call), ("status", status)):
        registry.add(f"plugin.{name}", func)
