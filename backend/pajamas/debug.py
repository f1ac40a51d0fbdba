"""The `debug.*` methods, offered only when the setting debug_methods is on.

They let protocol tests and third-party client authors provoke each behaviour on demand: an
echo for sizes and types, a slow call for timeouts and concurrency, a failing call for errors.
"""

from __future__ import annotations

import threading
from typing import Any, Final

from pajamas.errors import InvalidParams
from pajamas.rpc.methods import Registry

MAX_SLEEP_S: Final = 600.0


def register(registry: Registry, stopping: threading.Event) -> None:
    """Add the debug.* methods; sleeps end early when `stopping` is set."""

    def echo(value: Any = None) -> dict[str, Any]:
        """Return the value sent: {"value": value}."""
        return {"value": value}

    def sleep(seconds: float) -> dict[str, Any]:
        """Hold a worker for `seconds` (0..600), as slow work would; {"slept": seconds}."""
        if not 0 <= seconds <= MAX_SLEEP_S:
            raise InvalidParams(f"param 'seconds' must be between 0 and {MAX_SLEEP_S:g}, "
                                f"not {seconds!r}", field="seconds")
        stopping.wait(seconds)
        return {"slept": seconds}

    def fail(message: str = "deliberate failure") -> dict[str, Any]:
        """Raise an unexpected exception inside the core, which answers `internal`."""
        raise RuntimeError(message)

    registry.add("debug.echo", echo, inline=True)
    registry.add("debug.sleep", sleep)
    registry.add("debug.fail", fail)
