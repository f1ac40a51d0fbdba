"""The tasks page in the real window: a real task appears live, counts in the nav, and cancels."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

SLOW_MS = 20_000
# Three benchmarks: cancelling stops a perf run before its next one, so the click lands
# while one is still to come.
BENCHMARKS = ["rpc.roundtrip", "rpc.throughput", "cache.hot_get"]


def test_a_task_shows_live_and_cancels(app_page: Page) -> None:
    app_page.evaluate("location.hash = '#/tasks'")
    expect(app_page.get_by_test_id("tasks-empty")).to_be_visible(timeout=SLOW_MS)
    task_id = app_page.evaluate("""async (only) => {
        const { call } = await import("./src/bridge.js");
        return (await call("perf.run", { only })).task;
    }""", BENCHMARKS)
    row = app_page.locator(f'[data-testid="task-row"][data-task="{task_id}"]')
    expect(row).to_have_attribute("data-state", "running", timeout=SLOW_MS)  # from task.progress
    expect(row.get_by_role("progressbar")).to_be_visible()
    expect(row.get_by_test_id("task-message")).to_contain_text("running")
    expect(app_page.get_by_test_id("nav-tasks-running")).to_have_text("1 running")
    expect(app_page.get_by_role("link", name="Tasks", exact=True)).to_be_visible()

    row.get_by_role("button", name="Cancel perf run").click()
    expect(row).to_have_attribute("data-state", "cancelled", timeout=60_000)  # from task.done
    expect(row.get_by_role("button")).to_have_count(0)
    expect(app_page.get_by_test_id("nav-tasks-running")).to_have_count(0)
    state = app_page.evaluate("""async (id) => {
        const { call } = await import("./src/bridge.js");
        return (await call("task.get", { id })).state;
    }""", task_id)
    assert state == "cancelled"
