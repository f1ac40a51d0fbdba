"""The window shows the core's live status: what the user sees on the status page."""

from __future__ import annotations

import os
import re
import signal

import psutil
import pytest
from playwright.sync_api import Locator, Page, expect

import pajamas
from pajamas.perf.driven_app import HubApp
from pajamas.rpc import connection

pytestmark = pytest.mark.e2e

# Generous: the machine has two noisy cores, and Qt WebEngine renders in software.
SLOW_MS = 20_000


def by_id(page: Page, name: str) -> Locator:
    """The element with data-testid=name."""
    return page.get_by_test_id(name)


def record_calls(page: Page) -> None:
    """Make the page note the method of every call it sends through pywebview's js_api."""
    page.evaluate("""() => {
        const api = window.pywebview.api;
        const call = api.call.bind(api);
        window.__calls = [];
        api.call = (method, params) => {
            window.__calls.push(method);
            return call(method, params);
        };
    }""")


def test_version_is_the_package_version(app_page: Page) -> None:
    expect(by_id(app_page, "status-version")).to_have_text(pajamas.__version__, timeout=SLOW_MS)


def test_uptime_ticks(app_page: Page) -> None:
    uptime = by_id(app_page, "status-uptime")
    expect(uptime).to_have_text(re.compile(r"^\d+ s$"), timeout=SLOW_MS)
    first = uptime.inner_text()
    expect(uptime).not_to_have_text(first, timeout=SLOW_MS)
    assert int(uptime.inner_text().split()[0]) > int(first.split()[0])


def test_rss_is_the_core_rss_and_follows_monitor_samples(app_page: Page, hub: HubApp) -> None:
    rss = by_id(app_page, "status-rss")
    expect(rss).to_have_text(re.compile(r"^\d+\.\d MB$"), timeout=SLOW_MS)
    shown_mb = float(rss.inner_text().split()[0])
    actual_mb = psutil.Process(hub.core_pid()).memory_info().rss / 2**20
    assert 0.5 * actual_mb < shown_mb < 2 * actual_mb, (shown_mb, actual_mb)

    sparkline = by_id(app_page, "rss-sparkline")
    expect(sparkline).to_have_attribute("data-count", re.compile(r"^[1-9]\d*$"), timeout=SLOW_MS)
    # Samples come every 0.25 s (harness.APP_SETTINGS): a few more must arrive.  The line keeps
    # only the last 60, so a page open for a while counts them by data-seen, not data-count.
    before = int(sparkline.get_attribute("data-seen") or 0)
    app_page.wait_for_function(
        "n => Number(document.querySelector('[data-testid=rss-sparkline]').dataset.seen) >= n",
        arg=before + 3, timeout=SLOW_MS)
    assert 1 <= int(sparkline.get_attribute("data-count") or 0) <= 60
    expect(app_page.locator("[data-testid=rss-sparkline] polyline")).to_have_count(1)


def test_health_refresh_shows_status_and_checks(app_page: Page) -> None:
    status = by_id(app_page, "health-status")
    expect(status).to_have_text(re.compile("^(ok|degraded)$"), timeout=SLOW_MS)
    record_calls(app_page)
    by_id(app_page, "health-refresh").click()
    expect(status).to_have_text(re.compile("^(ok|degraded)$"), timeout=SLOW_MS)
    expect(by_id(app_page, "health-refresh")).to_be_enabled(timeout=SLOW_MS)
    assert "system.health" in app_page.evaluate("window.__calls")
    for check in ("rpc", "disk", "memory"):
        row = by_id(app_page, f"health-check-{check}")
        expect(row).to_be_visible()
        expect(row).to_contain_text(re.compile("ok|degraded|failing"))


def test_methods_tab_lists_methods_and_the_filter_narrows_them(app_page: Page) -> None:
    by_id(app_page, "methods-tab").click()
    methods = by_id(app_page, "methods-list")
    rows = methods.get_by_test_id("method-row")
    expect(rows.first).to_be_visible(timeout=SLOW_MS)
    total = int(methods.get_attribute("data-count") or 0)
    assert total >= 4
    # The list is virtualized: as methods are added, system.* may be scrolled out of view.
    by_id(app_page, "methods-filter").fill("system.")
    expect(rows.filter(has_text="system.health")).to_have_count(1)

    by_id(app_page, "methods-filter").fill("ping")
    expect(methods).to_have_attribute("data-count", "1")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("system.ping")

    by_id(app_page, "methods-filter").fill("")
    expect(methods).to_have_attribute("data-count", str(total))


def test_the_page_starts_without_errors(app_page: Page) -> None:
    # Catches calls made before pywebview finished building `window.pywebview.api`: pywebview
    # creates `api` empty first and adds `call` later, so a page that calls in between fails.
    expect(by_id(app_page, "status-version")).to_have_text(pajamas.__version__, timeout=SLOW_MS)
    expect(by_id(app_page, "health-status")).to_have_text(re.compile("^(ok|degraded)$"),
                                                          timeout=SLOW_MS)
    expect(by_id(app_page, "toast")).to_have_count(0)
    expect(by_id(app_page, "connection-state")).to_have_attribute("data-state", "connected")


def test_an_error_reply_shows_a_toast(app_page: Page) -> None:
    expect(by_id(app_page, "status-version")).to_have_text(pajamas.__version__, timeout=SLOW_MS)
    # The UI's own bridge module (the same instance the page uses) calls a method the core
    # does not have: the error travels core -> Python bridge -> envelope -> bridge.js -> toast,
    # with what to do from the core's hint (system.methods).
    code = app_page.evaluate("""async () => {
        const bridge = await import("./src/bridge.js");
        try { await bridge.call("no.such_method", {}); return "resolved"; }
        catch (error) { return error.code; }
    }""")
    assert code == "unknown_method"
    toast = by_id(app_page, "toast")
    expect(toast).to_be_visible()
    expect(toast).to_have_attribute("role", "alert")
    expect(toast.get_by_test_id("toast-title")).to_contain_text("unknown_method (no.such_method)")
    expect(toast.get_by_test_id("toast-message")).to_contain_text("unknown method 'no.such_method'")
    expect(toast.get_by_test_id("toast-advice")).to_contain_text("another version of the hub")
    app_page.get_by_role("button", name="Dismiss notification").click()
    expect(toast).to_have_count(0)


def test_a_core_that_stops_is_replaced_and_the_window_says_so(app_page: Page,
                                                               hub: HubApp) -> None:
    state = by_id(app_page, "connection-state")
    expect(state).to_have_attribute("data-state", "connected", timeout=SLOW_MS)
    pid = hub.core_pid()
    old_key = connection.read(hub.home).key
    os.kill(pid, signal.SIGKILL)  # a crash: no clean shutdown, the connection file stays
    # The shell notices, says it reconnects, and starts a new core (new file, new key).
    expect(app_page.get_by_test_id("toast").filter(has_text="Reconnected")).to_be_visible(
        timeout=60_000)
    expect(state).to_have_attribute("data-state", "connected")
    new_pid = hub.core_pid()
    assert new_pid != pid
    assert connection.read(hub.home).key != old_key
    hub.remember_processes()  # so the fixture checks the new core is gone at the end too
    # Calls reach the new core (the status page shows its pid), and so do events.
    expect(by_id(app_page, "status-pid")).to_have_text(str(new_pid), timeout=SLOW_MS)
    sampled = app_page.evaluate("""(pid) => new Promise((resolve) => {
        window.addEventListener("pajamas:event", (event) => {
            const { topic, data } = event.detail;
            if (topic === "monitor.sample" && data.core && data.core.pid === pid) resolve(pid);
        });
    })""", new_pid)
    assert sampled == new_pid
