"""The perf report (one HTML file) opens with its plots drawn: in the real window, and in a
headless Chromium: Qt WebEngine's, in a bare view on Qt's offscreen platform, with no hub.

The runs are made by the real runner from tiny fake benchmarks (tests/perf has them), so the
test is about the file, not about timings.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from pajamas.perf import history, html_report
from pajamas.perf.driven_app import START_TIMEOUT_S, HubApp, free_port
from tests.perf.test_history_and_report import two_runs

pytestmark = pytest.mark.e2e

# A bare Qt WebEngine view of one file, with DevTools on the port given.
VIEWER = """
import sys
from PyQt6.QtCore import QUrl
from PyQt6.QtWebEngineWidgets import QWebEngineView
from PyQt6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
view = QWebEngineView()
view.resize(1280, 900)
view.load(QUrl.fromLocalFile(sys.argv[1]))
view.show()
sys.exit(app.exec())
"""


@pytest.fixture
def report(tmp_path: Path) -> Path:
    """A report of two fake runs, the second compared with the first (which it is slower than)."""
    home = tmp_path / "home"
    first, second = two_runs(home)
    path = tmp_path / "report.html"
    path.write_text(html_report.render(history.load(home, second),
                                       base=history.load(home, first),
                                       past=history.iter_runs(home)), encoding="utf-8")
    return path


def check_drawn(page: Page) -> None:
    """The report's table and its charts: two per measured benchmark, each a drawn canvas."""
    expect(page.locator("body")).to_have_attribute("data-plots", "4", timeout=30_000)
    expect(page.locator('tr[data-bench="rpc.fake"]')).to_have_attribute("data-compare",
                                                                         "slower")
    canvases = page.locator(".plot .chart canvas")
    expect(canvases).to_have_count(4)
    painted = page.evaluate("""() => [...document.querySelectorAll('.plot canvas')].map((c) => {
        const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
        return false;
    })""")
    assert painted == [True] * 4


def test_the_report_opens_in_the_real_window_with_its_plots(app_page: Page,
                                                            report: Path) -> None:
    app_page.goto(report.as_uri())
    check_drawn(app_page)


@pytest.fixture
def headless_chromium(report: Path, tmp_path: Path) -> Iterator[str]:
    """Qt WebEngine alone, offscreen, showing the report; its DevTools URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="offscreen", QTWEBENGINE_REMOTE_DEBUGGING=f"127.0.0.1:{port}",
               QTWEBENGINE_DISABLE_SANDBOX="1")
    log = (tmp_path / "viewer.log").open("wb")
    viewer = subprocess.Popen([sys.executable, "-c", VIEWER, str(report)], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        app = HubApp(tmp_path, port, viewer, tmp_path / "viewer.log")  # for its CDP wait only
        app.wait_for_cdp(START_TIMEOUT_S)
        yield app.cdp_url
    finally:
        viewer.kill()
        viewer.wait(30)
        log.close()


def test_the_report_opens_in_headless_chromium_with_its_plots(headless_chromium: str,
                                                              report: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.connect_over_cdp(headless_chromium, no_defaults=True)
        (page,) = [p for c in browser.contexts for p in c.pages]  # the view's one page
        expect(page).to_have_url(report.as_uri(), timeout=30_000)
        check_drawn(page)
        browser.close()
