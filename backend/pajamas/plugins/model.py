"""`Plugin`: an installed plugin as the plugin.* methods return it (light: no I/O imports)."""

from __future__ import annotations

from typing import Any, TypedDict


class Plugin(TypedDict):
    """An installed plugin as plugin.list shows it."""

    name: str
    version: str
    description: str
    permissions: dict[str, bool]
    quotas: dict[str, int]
    functions: dict[str, dict[str, Any]]
    commands: dict[str, str]
    installed_at: float
