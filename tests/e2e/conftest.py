"""End-to-end fixtures: the real app, its real window, driven by Playwright over CDP.

`hub` starts `python -m pajamas` on a temp home and, after the test, closes it with SIGTERM and
asserts that it exited 0, that no process of it is left (the core it started included) and
that the connection file is gone.  `app_page` is the window's page (index.html), attached with
`connect_over_cdp` — Playwright never downloads a browser here: the browser is the window's own
Qt WebEngine.  When a test fails, a screenshot of the page goes to tests/e2e/artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from pajamas.errors import CoreNotRunning
from pajamas.perf.driven_app import START_TIMEOUT_S, HubApp, describe, find_page
from pajamas.rpc import connection

ARTIFACTS = Path(__file__).parent / "artifacts"
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    report: pytest.TestReport = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


def failed(item: pytest.Item) -> bool:
    """Whether the test's setup or call failed."""
    reports = item.stash.get(REPORTS, {})
    return any(r.failed for r in reports.values())


@pytest.fixture
def hub_settings() -> dict[str, str]:
    """Settings (PAJAMAS_<NAME> variables) the app starts with; a test module may override it."""
    return {}


@pytest.fixture
def hub(tmp_path: Path, hub_settings: dict[str, str]) -> Iterator[HubApp]:
    """The app running on a temp home, with its DevTools endpoint up."""
    app = HubApp.launch(tmp_path / "home", **hub_settings)
    try:
        app.wait_for_cdp()
        yield app
    except BaseException:
        app.kill_leftovers()
        raise
    _close_and_check(app)


def _close_and_check(app: HubApp) -> None:
    """Close the app (if the test has not) and check it left nothing behind."""
    try:
        code = app.terminate()
        left = app.leftovers()
        assert not left, f"processes left after the window closed:\n{describe(left)}"
        assert code == 0, f"the app exited with {code}:\n{app.tail()}"
        assert not _started_core_file(app), "the connection file of the core it started is left"
    finally:
        app.kill_leftovers()


def _started_core_file(app: HubApp) -> bool:
    """Whether the home's connection file belongs to a core this app started."""
    try:
        return connection.read(app.home).pid in app.seen
    except CoreNotRunning:
        return False


@pytest.fixture
def app_page(hub: HubApp, request: pytest.FixtureRequest) -> Iterator[Page]:
    """The page of the hub's window (index.html), loaded."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.connect_over_cdp(
            hub.cdp_url, no_defaults=True, timeout=START_TIMEOUT_S * 1000)
        page = find_page(browser, hub)
        page.wait_for_load_state("load")
        hub.remember_processes()
        yield page
        if failed(request.node):
            save_screenshot(page, request.node.name)


def save_screenshot(page: Page, name: str) -> None:
    """A screenshot of the page as the test left it, named after the test."""
    ARTIFACTS.mkdir(exist_ok=True)
    safe = re.sub(r"[^\w.-]+", "_", name)
    try:
        page.screenshot(path=ARTIFACTS / f"{safe}.png", timeout=10_000)
    except Exception as exc:  # the window may be what failed; the test's own error matters more
        print(f"could not take a screenshot of {name}: {exc}")
