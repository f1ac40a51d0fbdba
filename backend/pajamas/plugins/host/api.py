"""The `hub` object a plugin's function receives: host API calls over the private channel.

Each call is a request to the core, which checks it against the manifest's permissions and
runs it for the host's own persona; a refusal raises `HubApiError` in the plugin, which, left
uncaught, reaches the plugin's caller as the same error (e.g. `forbidden`).
"""

from __future__ import annotations

from typing import Any, final

from pajamas.plugins.channel import Channel


class HubApiError(Exception):
    """The core refused a host API call; ``code`` is the protocol's error code."""

    def __init__(self, code: str, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


def request(channel: Channel, op: str, args: dict[str, Any]) -> Any:
    """Ask the core to run op with args; its value, or `HubApiError`."""
    channel.send({"t": "api", "op": op, "args": args})
    reply = channel.recv()
    if reply["t"] == "api_ok":
        return reply.get("value")
    if reply["t"] == "api_err":
        raise HubApiError(str(reply.get("code")), str(reply.get("message")), reply.get("data"))
    raise HubApiError("internal", f"unexpected reply to {op}: {reply['t']!r}")


@final
class Memory:
    """`hub.memory`: the persona's memory, as far as memory_read / memory_write allow."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel

    def search(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        """The memories nearest to query: [{id, text, metadata, importance, created_at, score}]."""
        found: list[dict[str, Any]] = request(self._channel, "memory.search",
                                              {"query": query, "limit": limit})
        return found

    def add(self, text: str, metadata: dict[str, Any] | None = None,
            importance: float = 0.5) -> str:
        """Add a memory; its id."""
        return str(request(self._channel, "memory.add", {
            "text": text, "metadata": metadata, "importance": importance}))


@final
class Hub:
    """The host API: `memory`, `log` and `progress`."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel
        self.memory = Memory(channel)

    def log(self, *parts: object, level: str = "info") -> None:
        """Write a line to the hub's log (and a plugin.log event)."""
        self._channel.send({"t": "log", "level": str(level),
                            "message": " ".join(str(part) for part in parts)[:4096]})

    def progress(self, fraction: float) -> None:
        """Report how far the call is, from 0 to 1 (a plugin.progress event)."""
        self._channel.send({"t": "progress", "fraction": min(1.0, max(0.0, float(fraction)))})
