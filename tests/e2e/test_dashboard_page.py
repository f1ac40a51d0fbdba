"""The dashboard in the real window: live charts fed by monitor.sample, the history, alerts."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

SLOW_MS = 30_000


@pytest.fixture
def hub_settings() -> dict[str, str]:
    """An RSS ceiling of 1 MB, so every process raises a "high" alert at once."""
    return {"PAJAMAS_ALERT_RSS_MB": "1"}


def test_live_charts_update_and_alerts_show(app_page: Page) -> None:
    app_page.evaluate("location.hash = '#/dashboard'")
    rss = app_page.get_by_test_id("chart-rss")
    expect(rss).to_be_visible(timeout=SLOW_MS)
    expect(rss.locator("canvas")).to_have_count(1)  # a uPlot chart, not a drawing by hand
    expect(rss).not_to_have_attribute("data-points", "0", timeout=SLOW_MS)
    expect(rss.locator(".u-legend")).to_contain_text("core")
    expect(rss.locator(".u-legend")).to_contain_text("shell", timeout=SLOW_MS)  # the window's
    # The next monitor.sample moves the live chart on, in place (the same canvas).
    first = rss.get_attribute("data-last")
    rss.locator("canvas").evaluate("(c) => { c.dataset.mark = 'kept'; }")
    expect(rss).not_to_have_attribute("data-last", first or "", timeout=SLOW_MS)
    expect(rss.locator("canvas")).to_have_attribute("data-mark", "kept")
    for chart in ("chart-cpu", "chart-rps", "chart-latency", "chart-cache"):
        expect(app_page.get_by_test_id(chart).locator("canvas")).to_have_count(1)

    alert = app_page.get_by_test_id("dash-alert").filter(has_text="core").first
    expect(alert).to_have_attribute("data-state", "raised", timeout=SLOW_MS)
    expect(alert).to_have_attribute("data-kind", "high")
    expect(alert.get_by_test_id("dash-alert-figure")).to_contain_text("(threshold 1.00 MB)")
    expect(app_page.get_by_test_id("dash-alerts-count")).to_contain_text("active")
    expect(app_page.get_by_test_id("dash-cache")).to_be_visible()

    app_page.get_by_role("radio", name="1 hour").click()
    expect(app_page.get_by_role("radio", name="1 hour")).to_have_attribute("aria-checked", "true")
    expect(rss).not_to_have_attribute("data-points", "0", timeout=SLOW_MS)
    expect(rss.locator(".u-legend")).to_contain_text("core")
    app_page.get_by_role("radio", name="1 hour").press("ArrowLeft")  # keys move the choice too
    expect(app_page.get_by_role("radio", name="Live")).to_have_attribute("aria-checked", "true")
    expect(app_page.get_by_role("radio", name="Live")).to_be_focused()
    expect(rss.locator("canvas")).to_have_count(1)
    expect(rss).not_to_have_attribute("data-points", "0")
