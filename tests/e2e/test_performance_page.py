"""The performance page in the real window: start a small run, watch it, read it, compare two."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

SLOW_MS = 30_000
RUN_MS = 120_000
BENCH = "rpc.roundtrip"  # `pajamas perf list`; the quick suite of it takes a few seconds

RECORD_EVENTS = """() => {
    window.__perfEvents = [];
    window.addEventListener("pajamas:event", (e) => {
        const event = typeof e.detail === "string" ? JSON.parse(e.detail) : e.detail;
        if (event.topic.startsWith("task.")) window.__perfEvents.push(event.topic);
    });
}"""


def start_run(page: Page) -> str:
    """Start a quick run of BENCH from the form; its run id once it is done."""
    page.get_by_role("radio", name=re.compile("^chosen")).check()
    page.get_by_role("checkbox", name=BENCH, exact=True).check()
    page.get_by_test_id("perf-start").click()
    progress = page.get_by_test_id("perf-progress")
    expect(progress).to_be_visible(timeout=SLOW_MS)
    expect(progress.get_by_role("progressbar", name="Progress of the perf run")).to_be_visible()
    expect(progress).to_have_attribute("data-state", "done", timeout=RUN_MS)
    expect(progress.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    link = progress.get_by_test_id("perf-open-report")
    href = link.get_attribute("href") or ""
    assert href.startswith("#/performance/")
    return href.removeprefix("#/performance/")


def test_run_watch_report_and_compare(app_page: Page) -> None:
    app_page.evaluate(RECORD_EVENTS)
    app_page.evaluate("location.hash = '#/performance'")
    empty = app_page.get_by_test_id("perf-runs-empty")
    expect(empty).to_contain_text("No runs yet", timeout=SLOW_MS)

    # The form checks its input: "chosen" with nothing chosen does not send.
    app_page.get_by_role("radio", name=re.compile("^chosen")).check()
    expect(app_page.get_by_role("checkbox", name=BENCH, exact=True)).to_be_visible(timeout=SLOW_MS)
    app_page.get_by_test_id("perf-start").click()
    expect(app_page.get_by_test_id("perf-form-error")).to_contain_text("at least one")

    first = start_run(app_page)
    topics = app_page.evaluate("window.__perfEvents")
    assert "task.progress" in topics and "task.done" in topics  # live, from the core's events
    expect(app_page.get_by_test_id("perf-run-row")).to_have_count(1, timeout=SLOW_MS)

    app_page.get_by_test_id("perf-open-report").click()
    report = app_page.get_by_test_id("perf-report")
    expect(report).to_have_attribute("data-run", first, timeout=SLOW_MS)
    row = app_page.locator(f'[data-testid="perf-bench-row"][data-bench="{BENCH}"]')
    expect(row).to_have_attribute("data-verdict", re.compile("^(pass|FAIL)$"))
    expect(row).to_contain_text("p50 ≤ 150 µs")
    expect(app_page.get_by_test_id("perf-ipc")).to_contain_text(
        re.compile(r"pipe_round_trip: median [\d.]+ µs "
                   r"\(the mean of each round: [\d.]+(, [\d.]+)+\)"))
    samples = app_page.get_by_test_id("perf-samples")
    expect(samples).to_have_attribute("data-bench", BENCH)
    expect(samples).not_to_have_attribute("data-points", "0")
    expect(samples.locator("canvas")).to_have_count(1)
    expect(app_page.get_by_test_id("perf-compare")).to_contain_text("No other run")

    app_page.get_by_test_id("perf-back").click()
    second = start_run(app_page)
    assert second != first
    expect(app_page.get_by_test_id("perf-run-row")).to_have_count(2, timeout=SLOW_MS)
    app_page.locator(f'[data-testid="perf-run-row"][data-run="{second}"]').get_by_role("link").click()
    expect(report).to_have_attribute("data-run", second, timeout=SLOW_MS)
    app_page.get_by_test_id("perf-compare-select").select_option(first)
    compared = app_page.locator(f'[data-testid="perf-compare-row"][data-bench="{BENCH}"]')
    expect(compared).to_have_attribute("data-verdict", re.compile("^(slower|faster|same|unsure)$"),
                                       timeout=SLOW_MS)
    expect(compared).to_contain_text(re.compile(r"\d\.\d\d\u00d7"))  # the ratio
    # rpc.roundtrip moves more than 1.1x between runs here: the budgets file's threshold shows
    expect(compared.get_by_test_id("perf-own-threshold")).to_have_text(
        "its own threshold: 1.3\u00d7")
    expect(app_page.get_by_test_id("perf-compare-how")).to_contain_text("One machine")
    # The inter-process control of both runs: steady, or moved, and by how much
    expect(app_page.get_by_test_id("perf-compare-how")).to_contain_text(
        re.compile(r"The machine (held steady|moved): its inter-process round trip "
                   r"\w+ \d\.\d\d\u00d7"))
    history = app_page.get_by_test_id("perf-history")
    expect(history).to_have_attribute("data-points", "2", timeout=SLOW_MS)
    expect(history.locator("canvas")).to_have_count(1)

    app_page.go_back()
    expect(app_page.get_by_test_id("perf-run-row")).to_have_count(2, timeout=SLOW_MS)
