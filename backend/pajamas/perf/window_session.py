"""The real window for a window benchmark: the app, its page over CDP and a client of its core.

`open_window` launches `python -m pajamas` on a home (`driven_app.HubApp`), attaches Playwright
to the window's own Chromium with `connect_over_cdp(no_defaults=True)`, waits for the page and
for the core the app started, and yields all three; afterwards it closes the app with SIGTERM
and kills whatever of it is left, so no process outlives the benchmark.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pajamas.errors import CoreNotRunning, HubTimeout
from pajamas.perf.driven_app import START_TIMEOUT_S, HubApp, attach
from pajamas.rpc.client import Client, connect

# The shell is up once the status page shows the core's version.
CORE_SHOWN: Final = """() => /^\\d+\\.\\d+\\.\\d+/.test(
    document.querySelector('[data-testid=status-version]')?.textContent ?? "")"""


@dataclass
class Window:
    """The running app, its page (a Playwright Page) and a client of its core."""

    app: HubApp
    page: Any
    client: Client

    def go(self, route: str) -> None:
        """Navigate the page to a route ("#/memory/<id>")."""
        self.page.evaluate("(route) => { location.hash = route; }", route)


@contextmanager
def open_window(home: Path, **settings: str) -> Iterator[Window]:
    """The app running on home (settings as PAJAMAS_* variables), its page and its core."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415  (a dev dependency)

    app = HubApp.launch(home, **settings)
    client: Client | None = None
    try:
        app.wait_for_cdp()
        with sync_playwright() as playwright:
            browser, page = attach(playwright, app)
            page.evaluate("location.hash = '#/status'")
            page.wait_for_function(CORE_SHOWN, polling=100, timeout=START_TIMEOUT_S * 1000)
            client = _client(home)
            app.remember_processes()
            yield Window(app, page, client)
            browser.close()
    finally:
        if client is not None:
            client.close()
        try:
            app.terminate()
        finally:
            app.kill_leftovers()


def _client(home: Path, timeout_s: float = START_TIMEOUT_S) -> Client:
    """A client of the core the app started (its connection file is written by then)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return connect(home, timeout=600.0)
        except CoreNotRunning:
            if time.monotonic() > deadline:
                raise HubTimeout(f"no core answers for {home} after {timeout_s:g} s") from None
            time.sleep(0.2)
