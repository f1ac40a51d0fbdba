"""The plugin.* methods, and `install`, which adds the plugin registry to the core.

`install` adds the "plugins" stage, after "metadata" and "personas": it builds the registry on
`<home>/hub.db` (nothing heavy).  The sandboxed hosts and plugin.call come with the next step.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pajamas.personas.model import check_page
from pajamas.plugins.model import Plugin  # at run time: the registry reads the hints
from pajamas.rpc.methods import Registry
from pajamas.tasks.stages import Slot

if TYPE_CHECKING:
    from pajamas.app import Core
    from pajamas.personas.service import PersonaService
    from pajamas.plugins.registry import PluginRegistry
    from pajamas.store.metadata import MetadataStore


def install(core: Core) -> Slot[PluginRegistry]:
    """Add the plugins stage and the plugin.* methods; the registry's slot."""
    plugins = core.stages.add("plugins", lambda: _registry(core, core.metadata.get(),
                                                            core.personas.get()),
                              after=["metadata", "personas"])
    register(core.registry, plugins)
    return plugins


def _registry(core: Core, store: MetadataStore, personas: PersonaService) -> PluginRegistry:
    from pajamas.plugins.registry import PluginRegistry, default_quotas  # noqa: PLC0415

    return PluginRegistry(store, core.home, default_quotas(core.settings),
                          require_persona=personas.require, clock=core.clock)


def register(registry: Registry, plugins: Slot[PluginRegistry]) -> None:
    """Add the plugin.* methods, served by the registry in the slot."""

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
        """Uninstall a plugin, deleting its files: {"uninstalled": true}."""
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

        not_found if the persona or the plugin is absent.
        """
        return {"enabled": plugins.get().set_enabled(persona, name, False)}

    def enabled(persona: str) -> dict[str, Any]:
        """The plugins enabled for a persona (by id): {"items": [name]}."""
        return {"items": plugins.get().enabled(persona)}

    for name, func in (("install", install_), ("list", list_), ("uninstall", uninstall),
                       ("verify", verify), ("enable", enable), ("disable", disable),
                       ("enabled", enabled)):
        registry.add(f"plugin.{name}", func)
