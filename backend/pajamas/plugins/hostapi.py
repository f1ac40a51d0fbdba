"""`HostApi`: the core's side of the host API, checked against the manifest's permissions.

A host asks for an operation by name; the persona is always the host's own (a plugin cannot
name one).  A refusal is a `Forbidden` naming the permission, which the host raises in the
plugin as `HubApiError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, final

from pajamas.errors import Forbidden, InvalidParams
from pajamas.memory.model import check_new
from pajamas.stages import Slot

if TYPE_CHECKING:
    from pajamas.memory.service import MemoryService
    from pajamas.plugins.manifest import Manifest

#: Each operation and the permission it needs.
NEEDS: Final = {"memory.search": "memory_read", "memory.add": "memory_write"}
MAX_LIMIT: Final = 100
_FIELDS: Final = ("id", "text", "metadata", "importance", "thread", "at", "created_at", "score")


@final
class HostApi:
    """Runs the host API calls of plugins for their persona."""

    def __init__(self, memory: Slot[MemoryService]) -> None:
        self._memory = memory

    def handle(self, persona: str, manifest: Manifest, op: str, args: dict[str, Any]) -> Any:
        """The value of op for the host of manifest running for persona."""
        permission = NEEDS.get(op)
        if permission is None:
            raise InvalidParams(f"the host API has no operation {op!r}; it has "
                                f"{', '.join(NEEDS)}", field="op")
        if not getattr(manifest.permissions, permission):
            raise Forbidden(f"plugin {manifest.name!r} called hub.{op} without the "
                            f"{permission} permission; grant it in [permissions] of its "
                            "plugin.toml", persona=persona, plugin=manifest.name,
                            permission=permission)
        if op == "memory.search":
            return self._search(persona, args)
        return self._add(persona, args)

    def _search(self, persona: str, args: dict[str, Any]) -> list[dict[str, Any]]:
        query, limit = args.get("query"), args.get("limit", 10)
        if not isinstance(query, str) or not query.strip():
            raise InvalidParams(f"hub.memory.search needs a non-empty query, not {query!r}",
                                field="query")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise InvalidParams(f"hub.memory.search limit must be 1 to {MAX_LIMIT}, not "
                                f"{limit!r}", field="limit")
        found = self._memory.get().search(persona, query, mode="hybrid", limit=limit, offset=0)
        return [{key: item.get(key) for key in _FIELDS} for item in found["items"]]

    def _add(self, persona: str, args: dict[str, Any]) -> str:
        new = check_new(args.get("text"), args.get("metadata"), args.get("importance", 0.5))
        return str(self._memory.get().store().add(persona, [new])[0])
