"""The plugins page in the real window: install text-stats through the path field after seeing
what it may do, enable it for a persona, call it; then watch a memory hog get killed for its
memory quota, with the reason on the page, live from the core's events."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

SLOW_MS = 20_000
TEXT_STATS = ROOT / "plugins" / "text-stats"
MEMORY_HOG = ROOT / "tests" / "plugins" / "hostile" / "memory-hog"


def install_and_enable(page: Page, path: str, name: str) -> None:
    """Install the plugin at path through the path field, then enable it for the persona."""
    page.get_by_role("textbox", name="Plugin path").fill(path)
    page.get_by_role("button", name="Install…").click()
    dialog = page.get_by_role("dialog", name="Install this plugin?")
    expect(dialog).to_be_visible(timeout=SLOW_MS)
    expect(dialog.get_by_test_id("plugin-quotas")).to_contain_text("MB of memory")
    dialog.get_by_role("button", name=f"Install {name}").click()
    expect(dialog).to_have_count(0, timeout=SLOW_MS)
    row = page.locator(f'[data-testid="plugin-row"][data-plugin="{name}"]')
    expect(row).to_be_visible(timeout=SLOW_MS)
    expect(row).to_have_attribute("aria-pressed", "true")
    detail = page.get_by_test_id("plugin-detail")
    detail.get_by_role("button", name="Enable…").click()
    dialog = page.get_by_role("dialog", name="Enable for Ada?")
    expect(dialog.get_by_test_id("plugin-permissions")).to_be_visible()
    dialog.get_by_role("button", name=f"Enable {name}").click()
    expect(detail.get_by_test_id("plugin-enabled-state")).to_have_text("Enabled for Ada",
                                                                       timeout=SLOW_MS)


def test_install_enable_call_and_watch_a_hostile_plugin_get_killed(app_page: Page) -> None:
    app_page.evaluate("""async () => {
        const { call } = await import("./src/bridge.js");
        await call("persona.create", { name: "Ada" });
    }""")
    app_page.evaluate("location.hash = '#/plugins'")
    expect(app_page.get_by_test_id("plugins-empty")).to_be_visible(timeout=SLOW_MS)
    expect(app_page.get_by_role("combobox", name="Persona")).to_contain_text("Ada")
    expect(app_page.get_by_test_id("plugin-kills-empty")).to_be_visible()

    path = app_page.get_by_role("textbox", name="Plugin path")
    path.fill("plugins/text-stats")  # not a full path: said at once, nothing sent
    expect(app_page.get_by_role("button", name="Install…")).to_be_disabled()
    install_and_enable(app_page, str(TEXT_STATS), "text-stats")
    detail = app_page.get_by_test_id("plugin-detail")
    expect(detail.get_by_test_id("plugin-permissions")).to_contain_text("none: it cannot")
    expect(detail.get_by_test_id("plugin-quotas")).to_contain_text("up to 128 MB of memory")

    args = detail.get_by_role("textbox", name="Arguments (JSON)")
    args.fill('{"text": ')  # broken JSON: said before anything is sent
    expect(detail.get_by_role("alert")).to_contain_text("not valid JSON")
    expect(detail.get_by_role("button", name="Call")).to_be_disabled()
    args.fill('{"text": "Hello there. <b>Bold</b> words."}')
    limit = detail.get_by_role("textbox", name="Wall time limit (seconds)")
    limit.fill("9999")  # a call may only lower its wall time
    expect(detail.get_by_role("alert")).to_contain_text("can only be lowered")
    expect(detail.get_by_role("button", name="Call")).to_be_disabled()
    limit.fill("5")
    detail.get_by_role("button", name="Call").click()
    result = detail.get_by_test_id("plugin-call-result")
    expect(result).to_contain_text('"words": 6', timeout=SLOW_MS)
    expect(detail.get_by_test_id("plugin-call-usage")).to_contain_text("peak RSS")
    host = app_page.locator('[data-testid="plugin-host"][data-plugin="text-stats"]')
    expect(host).to_have_attribute("data-state", "idle", timeout=SLOW_MS)  # plugin.started
    host.get_by_role("button", name="Stop text-stats for Ada").click()
    expect(host).to_have_attribute("data-state", "stopped", timeout=SLOW_MS)  # plugin.stopped

    install_and_enable(app_page, str(MEMORY_HOG), "memory-hog")
    detail.get_by_test_id("plugin-lower").locator("summary").click()  # lower it for Ada
    memory = detail.get_by_role("textbox", name="Lower memory_mb")
    memory.fill("65")  # above its own 64: said at once, nothing sent
    expect(detail.get_by_role("alert")).to_contain_text("can only be lowered: at most 64")
    memory.fill("48")
    detail.get_by_role("button", name="Save limits").click()
    note = detail.get_by_test_id("plugin-lowered-note")
    expect(note).to_contain_text("memory_mb 48 (its own 64)", timeout=SLOW_MS)
    expect(detail.get_by_test_id("plugin-quotas")).to_contain_text("up to 48 MB of memory")
    detail.get_by_role("button", name="Call").click()  # grow, with no args
    expect(detail.get_by_test_id("plugin-call-error")).to_contain_text("quota_exceeded",
                                                                       timeout=60_000)
    kill = app_page.locator('[data-testid="plugin-kill"][data-plugin="memory-hog"]')
    expect(kill).to_have_attribute("data-reason", "quota", timeout=SLOW_MS)  # plugin.killed
    expect(kill.get_by_test_id("plugin-kill-reason")).to_contain_text(
        "over its memory quota (memory_mb): limit 48 MB, measured")
    expect(app_page.locator('[data-testid="plugin-host"][data-plugin="memory-hog"]')
           ).to_have_attribute("data-state", "killed")

    # Two more kills in a row: the core disables it for Ada, and the page says why and how back.
    kills = app_page.get_by_test_id("plugin-kills")
    for count in ("2", "3"):
        detail.get_by_role("button", name="Call").click()
        expect(kills).to_have_attribute("data-count", count, timeout=60_000)
    why = detail.get_by_test_id("plugin-disabled-why")
    expect(why).to_contain_text("after 3 failures in a row", timeout=SLOW_MS)
    expect(why).to_contain_text("memory_mb")
    expect(why).to_contain_text("Enable… to enable it again")
    expect(detail.get_by_test_id("plugin-enabled-state")).to_have_text("Not enabled for Ada")
    detail.get_by_role("button", name="Enable…").click()
    app_page.get_by_role("dialog", name="Enable for Ada?").get_by_role(
        "button", name="Enable memory-hog").click()
    expect(detail.get_by_test_id("plugin-enabled-state")).to_have_text("Enabled for Ada",
                                                                       timeout=SLOW_MS)
    expect(why).to_have_count(0)
