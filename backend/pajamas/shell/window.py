"""`pajamas` with no command: the hub's window, on the home's core.

`run_window` prepares the environment (see `display`), starts finding or starting the core on a
thread, and meanwhile opens the pywebview window (Qt backend) on `webui/index.html`, served by
`AssetServer` (assets.py) because ES modules do not load from file:// URLs.  The page calls
the core through `Bridge` and hears its events through `EventForwarder`.  When the window
closes (or SIGTERM asks it to), the forwarder stops, the client closes, and the core stops if
this process started it: closing the window leaves no process behind.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, Final, final

from pajamas.config import Settings
from pajamas.rpc.protocol import Event
from pajamas.shell import display
from pajamas.shell.bridge import Bridge
from pajamas.shell.corelink import CoreLink
from pajamas.shell.dialogs import FileDialogs
from pajamas.shell.events import EventForwarder
from pajamas.shell.pool import CallPool
from pajamas.shell.webui import INDEX, find_webui

TITLE: Final = "PajamasWeb AI Hub"
CONNECTION_TOPIC: Final = "shell.connection"
# Calls the page may have in flight at once; more wait their turn.
BRIDGE_WORKERS: Final = 4
# How long a closing window lets calls in flight finish before it stops waiting for them.
CALL_GRACE_S: Final = 1.0


def run_window(home: Path, settings: Settings) -> int:
    """Open the hub's window on home's core (started if none runs); returns 0 once closed."""
    display.prepare(settings.window_width, settings.window_height)
    index = find_webui() / INDEX
    closer = _Closer()
    with closer.on_sigterm():
        core = CoreLink(home, settings.core_start_timeout_s)
        core.start()
        pool = CallPool(BRIDGE_WORKERS, name="pajamas-bridge")
        try:
            if not closer.requested.is_set():
                _show(core, pool, index, settings, closer)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            core.close(close_client=pool.wait_idle(CALL_GRACE_S))
    return 0


def _show(core: CoreLink, pool: CallPool, index: Path, settings: Settings,
          closer: _Closer) -> None:
    """Create the window and run Qt's loop until the window is closed."""
    import webview  # noqa: PLC0415  (Qt loads only when a window is wanted)

    from pajamas.shell.assets import AssetServer  # noqa: PLC0415  (pywebview's interface)

    dialogs = FileDialogs()
    window = webview.create_window(TITLE, str(index), js_api=Bridge(core.client, pool, dialogs),
                                   width=settings.window_width, height=settings.window_height)
    if window is None:  # only when an `initialized` handler cancels it; none does here
        return
    dialogs.window = window
    forwarder = EventForwarder(core.subscriber, window, window.events.loaded,
                               generation=lambda: core.generation)
    core.on_state = lambda state, message: forwarder.inject(connection_event(state, message))
    window.events.closing += forwarder.request_stop
    forwarder.start()
    try:
        closer.window = window
        if not closer.requested.is_set():  # a SIGTERM that came before the window existed
            webview.start(gui="qt", http_server=True, server=AssetServer, private_mode=True,
                          debug=settings.window_debug)
    finally:
        forwarder.stop()


def connection_event(state: str, message: str) -> Event:
    """The shell's `shell.connection` event: connected, reconnecting or disconnected, and why."""
    return Event(CONNECTION_TOPIC, time.time(), {"state": state, "message": message})


@final
class _Closer:
    """Turns SIGTERM into closing the window, so the usual clean-up runs (no orphaned core)."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.window: Any = None  # a webview.Window once created

    @contextmanager
    def on_sigterm(self) -> Iterator[None]:
        """Handle SIGTERM while the block runs, then restore the previous handler."""
        previous = signal.signal(signal.SIGTERM, self._on_signal)
        try:
            yield
        finally:
            signal.signal(signal.SIGTERM, previous)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.requested.set()
        if self.window is not None:
            # destroy() waits for the window to be shown; a signal handler must not block
            # Qt's thread, which is the one running it.
            threading.Thread(target=self.window.destroy, name="pajamas-close",
                             daemon=True).start()
