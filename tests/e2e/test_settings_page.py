"""The settings page in the real window: an edit is checked, written to settings.toml, and
applied by restarting the core from the page."""

from __future__ import annotations

import tomllib

import pytest
from playwright.sync_api import Page, expect

from pajamas.perf.driven_app import HubApp

pytestmark = pytest.mark.e2e

SLOW_MS = 20_000


def test_a_setting_is_checked_saved_and_applied_by_a_restart(app_page: Page,
                                                             hub: HubApp) -> None:
    app_page.evaluate("location.hash = '#/settings'")
    app_page.get_by_role("searchbox", name="Filter settings").fill("worker threads")
    setting = app_page.locator('[data-testid="setting"][data-name="workers"]')
    expect(setting).to_be_visible(timeout=SLOW_MS)
    field = setting.get_by_role("textbox", name="workers")
    save = setting.get_by_role("button", name="Save workers")

    field.fill("0")  # under its minimum: said at once, nothing sent
    expect(setting.get_by_role("alert")).to_have_text("workers must be at least 1")
    expect(save).to_be_disabled()
    field.fill("3")
    expect(save).to_be_enabled()
    save.click()

    expect(app_page.get_by_test_id("toast").filter(has_text="Saved workers")).to_be_visible()
    expect(setting.get_by_test_id("setting-source")).to_have_text("settings.toml")
    expect(setting.get_by_test_id("setting-restart")).to_be_visible()
    with (hub.home / "settings.toml").open("rb") as fh:
        assert tomllib.load(fh)["workers"] == 3
    old_pid = hub.core_pid()

    app_page.get_by_role("button", name="Restart the core").click()
    expect(app_page.get_by_test_id("toast").filter(has_text="Reconnected")).to_be_visible(
        timeout=60_000)
    hub.remember_processes()
    assert hub.core_pid() != old_pid
    expect(setting.get_by_test_id("setting-value")).to_have_text("3", timeout=SLOW_MS)
    expect(setting.get_by_test_id("setting-restart")).to_have_count(0)
