"""The window's start-up as a user feels it: from `pajamas` to live status on screen."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from typing import Any, Final

from pajamas import machine
from pajamas.perf.benchmark import Context, Measurement, NotRun
from pajamas.perf.registry import benchmark

# The status page is usable once it shows the core's version and its RSS.
READY: Final = """() => {
    const text = (id) => document.querySelector(`[data-testid=${id}]`)?.textContent ?? "";
    return /^\\d+\\.\\d+\\.\\d+/.test(text("status-version")) && / MB$/.test(text("status-rss"));
}"""
# When that was first painted, by the wall clock: the page marks it (pages/status.js), so the
# moment does not depend on when DevTools got attached (the page may be ready before).
SHOWN_AT: Final = """() => {
    const mark = performance.getEntriesByName("status-ready")[0];
    return mark ? performance.timeOrigin + mark.startTime : null;
}"""


@benchmark(name="startup.window_status", unit="ms")
def window_status(ctx: Context) -> Measurement:
    """From starting `python -m pajamas` to the status page showing version and core RSS.

    Each run uses a fresh home (so it includes starting the core) on a warm machine; the
    moment is the page's own mark, made after the paint that first showed both, read over CDP
    (which may attach after it).
    """
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415  (a dev dependency)
    except ImportError:
        raise NotRun("drives the window over DevTools with Playwright, a development "
                     "dependency not installed here") from None
    if not _can_show_a_window():
        raise NotRun("needs a display (or xvfb-run, or Qt's offscreen platform on Linux)")

    runs = ctx.count(5, minimum=1)
    samples: list[float] = []
    with sync_playwright() as playwright:
        _measure(playwright, ctx.workdir / "warm-up")  # dropped: a cold page cache
        for run in range(runs):
            samples.append(_measure(playwright, ctx.workdir / f"run{run}") * 1000)
    return Measurement(samples)


def _measure(playwright: Any, home: Path) -> float:
    """Seconds from launch to version and RSS on screen."""
    from pajamas.perf.driven_app import HubApp, attach  # noqa: PLC0415

    started = time.time()
    app = HubApp.launch(home)
    try:
        app.wait_for_cdp()
        browser, page = attach(playwright, app)
        page.wait_for_function(READY, polling="raf", timeout=60_000)
        shown_at: float = page.wait_for_function(SHOWN_AT, timeout=60_000).json_value() / 1000
        browser.close()
        return shown_at - started
    finally:
        app.terminate()
        app.kill_leftovers()


def _can_show_a_window() -> bool:
    """A display, xvfb-run, or (on Linux) Qt WebEngine to run on the offscreen platform."""
    if machine.display_available() or machine.xvfb_run():
        return True
    return sys.platform.startswith("linux") and importlib.util.find_spec("PyQt6") is not None
