"""The window benchmarks' page scripts (perf/page_probes.py) in the real window: a timed change
that is shown, one whose input is not on the page (which says so instead of a TypeError), and
the window's scrolling floor, which leaves the page as it found it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Error, Page

from pajamas.perf.page_probes import SCROLL_FLOOR, TIMED_CHANGE

WAIT_MS = 30_000


def timed(page: Page, action: str, value: str, ready: str, *, selector: str = "",
          expect: dict[str, object] | None = None) -> float:
    taken: float = page.evaluate(TIMED_CHANGE, {
        "action": action, "selector": selector, "value": value, "ready": ready,
        "expect": expect or {}, "timeoutMs": WAIT_MS})
    return taken


def test_a_change_is_timed_until_its_state_is_shown(app_page: Page) -> None:
    persona = app_page.evaluate("""async () => {
        const { call } = await import("./src/bridge.js");
        return call("persona.create", { name: "Lovelace" });
    }""")
    shown = {"count": "1 persona", "first": persona["id"]}
    assert timed(app_page, "hash", "#/personas", "personas", expect=shown) > 0
    assert app_page.get_by_test_id("persona-count").inner_text().strip() == "1 persona"


def test_an_input_not_on_the_page_is_named(app_page: Page) -> None:
    with pytest.raises(Error, match=r"nothing on the page matches \[data-testid=nowhere\]"):
        timed(app_page, "input", "x", "personas", selector="[data-testid=nowhere]")


def test_the_scrolling_floor_times_each_frame_and_leaves_the_page_as_it_was(
        app_page: Page) -> None:
    before = app_page.evaluate("document.body.childElementCount")
    frames = app_page.evaluate(SCROLL_FLOOR, {"steps": 20})
    assert len(frames) == 21 and all(f > 0 for f in frames)
    assert app_page.evaluate("document.body.childElementCount") == before
