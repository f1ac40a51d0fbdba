"""The settings.* methods: list every setting and where its value comes from; edit settings.toml."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from pajamas.errors import InvalidParams
from pajamas.settings import service

if TYPE_CHECKING:
    from pajamas.context import Context

MAX_PAGE: Final = 1000
#: A setting's value as the protocol carries it; None puts the default back.
Value = bool | int | float | str | None


def install(ctx: Context) -> None:
    """Add settings.list and settings.set (they need no start-up stage: files only)."""

    def settings_list(offset: int = 0, limit: int = 50) -> dict[str, Any]:
        """List the settings: {"items": [setting], "total"}, in declaration order.

        A setting is {"name", "type" ("int", "float", "bool" or "str"), "help", "default",
        "minimum", "value" (in force in this core), "next_value" (after a restart), "source"
        ("default", "settings.toml" or the PAJAMAS_<NAME> variable), "applies"
        ("core_restart" or "window_restart"), "restart_needed"}.
        """
        if offset < 0 or not 1 <= limit <= MAX_PAGE:
            raise InvalidParams(f"offset must be at least 0 and limit 1..{MAX_PAGE}",
                                field="limit" if offset >= 0 else "offset")
        items = service.list_settings(ctx.home, ctx.settings)
        return {"items": items[offset:offset + limit], "total": len(items)}

    def settings_set(name: str, value: Value) -> dict[str, Any]:
        """Write one setting to settings.toml; null removes it (the default again).

        The value is type-checked against the setting (invalid_params if it is unknown,
        mistyped or under its minimum).  It takes effect when the core restarts
        (system.restart), or the window's own settings when the window opens again.
        Returns {"name", "value", "source", "overridden_by"}: the PAJAMAS_<NAME> variable
        that still wins over the file, if one is set.  A settings.changed event follows.
        """
        result = service.set_setting(ctx.home, name, value)
        ctx.publish("settings.changed", {"name": name})
        return result

    ctx.registry.add("settings.list", settings_list)
    ctx.registry.add("settings.set", settings_set)
