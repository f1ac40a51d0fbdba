"""How long from starting `python -m pajamas` until the status page shows a version and RSS.

Not a test (timing belongs to the perf suite): run it by hand,
``python -m tests.e2e.startup_time [RUNS]``.  Playwright's driver starts before the app, so
attaching costs little; the page is then watched on every animation frame, and the moment is
read from the page's own clock.  If the data is already there when Playwright attaches, the
figure is an upper bound and is marked so.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Playwright, sync_playwright

from tests.e2e.harness import HubApp, find_page

READY = """() => {
    const text = (id) => document.querySelector(`[data-testid=${id}]`)?.textContent ?? "";
    return /^\\d+\\.\\d+\\.\\d+/.test(text("status-version")) && / MB$/.test(text("status-rss"));
}"""


def measure(playwright: Playwright, home: Path) -> tuple[float, bool, dict[str, float]]:
    """Seconds from launch to version+RSS shown; whether it was seen happen; milestones."""
    started = time.time()
    app = HubApp.launch(home)
    try:
        app.wait_for_cdp()
        marks = {"cdp": time.time() - started}
        browser = playwright.chromium.connect_over_cdp(app.cdp_url, no_defaults=True)
        page = find_page(browser, app)
        marks["attached"] = time.time() - started
        already = bool(page.evaluate(READY))
        page.wait_for_function(READY, polling="raf", timeout=60_000)
        shown_at = page.evaluate("Date.now()") / 1000
        browser.close()
        return shown_at - started, not already, marks
    finally:
        app.terminate()
        app.kill_leftovers()


def main(runs: int) -> None:
    """Measure `runs` starts and print each and the median."""
    results = []
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as tmp:
        for run in range(runs):
            seconds, seen, marks = measure(playwright, Path(tmp) / f"home{run}")
            results.append(seconds)
            bound = "" if seen else " (upper bound: already shown when attached)"
            print(f"run {run + 1}: {seconds:.3f} s{bound}; devtools up at {marks['cdp']:.3f} s, "
                  f"attached at {marks['attached']:.3f} s")
    print(f"median of {runs}: {statistics.median(results):.3f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
