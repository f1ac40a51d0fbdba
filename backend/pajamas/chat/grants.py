"""`ToolGrants`: the plugins a persona lets models call without asking, in the metadata
database (table `tool_grants`).

A grant is made when the user answers a tool call "always"; it holds for every later call of
any function of that plugin for that persona, until revoked (chat.tool_revoke), the plugin is
uninstalled or the persona deleted (the rows go with them).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, final

from pajamas.store.metadata import MetadataStore


@final
class ToolGrants:
    """Grant, check, list and revoke a persona's standing permission to call a plugin."""

    def __init__(self, store: MetadataStore, *, clock: Callable[[], float] = time.time) -> None:
        self._store, self._clock = store, clock

    def has(self, persona: str, plugin: str) -> bool:
        """Whether models may call the plugin for the persona without asking."""
        return bool(self._store.query("SELECT 1 FROM tool_grants WHERE persona = ? AND "
                                      "plugin = ?", (persona, plugin)))

    def grant(self, persona: str, plugin: str) -> None:
        """Let models call the plugin for the persona without asking."""
        with self._store.transaction() as db:
            db.execute("INSERT OR REPLACE INTO tool_grants (persona, plugin, granted_at) "
                       "VALUES (?, ?, ?)", (persona, plugin, self._clock()))

    def revoke(self, persona: str, plugin: str) -> bool:
        """Ask again before the next call; whether there was a grant."""
        with self._store.transaction() as db:
            return bool(db.execute("DELETE FROM tool_grants WHERE persona = ? AND plugin = ?",
                                   (persona, plugin)).rowcount)

    def list(self, persona: str) -> list[dict[str, Any]]:
        """The persona's grants by plugin: [{"plugin", "granted_at"}]."""
        rows = self._store.query("SELECT plugin, granted_at FROM tool_grants WHERE persona = ? "
                                 "ORDER BY plugin", (persona,))
        return [{"plugin": row["plugin"], "granted_at": row["granted_at"]} for row in rows]
