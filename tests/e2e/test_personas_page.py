"""The personas page in the real window: create a persona, import the example card through
the file input, find it by search, edit a field, favourite it, delete it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

SLOW_MS = 20_000
CARDS = ROOT / "examples" / "cards"


def test_the_library_s_journey(app_page: Page) -> None:
    page = app_page
    page.evaluate("location.hash = '#/personas'")
    expect(page.get_by_test_id("persona-empty")).to_be_visible(timeout=SLOW_MS)

    # Create: the form checks the name before anything is sent.
    page.get_by_role("button", name="New persona").click()
    page.get_by_test_id("persona-save").click()
    expect(page.locator("form").get_by_role("alert")).to_have_text("A persona needs a name.")
    page.get_by_test_id("field-name").fill("Ada Lovelace")
    page.get_by_test_id("field-tags").fill("maths, victorian")
    page.get_by_test_id("field-tags").blur()
    page.get_by_test_id("persona-save").click()
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible(timeout=SLOW_MS)
    page.get_by_role("link", name="Back to the library").click()
    expect(page.get_by_test_id("persona-row")).to_have_count(1, timeout=SLOW_MS)

    # Import: two forms of the example card and a file that is no card, in one task.
    notes = ROOT / "README.md"
    page.get_by_test_id("persona-import-input").set_input_files(
        [CARDS / "wren-ashdown.png", CARDS / "wren-ashdown.json", notes])
    result = page.get_by_test_id("import-result")
    expect(result).to_contain_text("1 imported, 2 skipped", timeout=SLOW_MS)
    skipped = result.locator('[data-status="skipped"]')
    expect(skipped.filter(has_text="exists already")).to_be_visible()
    expect(skipped.filter(has_text="not a character card")).to_be_visible()
    expect(page.get_by_test_id("persona-row")).to_have_count(2, timeout=SLOW_MS)

    # Search, then open it.
    page.get_by_role("searchbox", name="Search personas").fill("wren")
    expect(page.get_by_test_id("persona-row")).to_have_count(1, timeout=SLOW_MS)
    wren = page.get_by_test_id("persona-row").first
    expect(wren.locator("img.persona-avatar")).to_be_visible()  # the card's image, a thumbnail
    wren.get_by_test_id("persona-open").click()

    # Edit a field; the lorebook and greetings came with the card.
    scenario = page.get_by_test_id("field-scenario")
    expect(scenario).to_be_visible(timeout=SLOW_MS)
    scenario.fill("A storm over the lighthouse.")
    page.get_by_test_id("persona-save").click()
    saved = page.get_by_test_id("toast").filter(has_text="Wren Ashdown is saved")
    expect(saved).to_be_visible(timeout=SLOW_MS)
    persona_id = page.evaluate("decodeURIComponent(location.hash.split('/')[2])")
    card = page.evaluate("""async (id) => {
        const { call } = await import("./src/bridge.js");
        return (await call("persona.card", { id })).card;
    }""", persona_id)
    assert card["data"]["scenario"] == "A storm over the lighthouse."

    # Favourite it, from the editor; the library's favourites show it.
    page.get_by_test_id("editor-favourite").click()
    expect(page.get_by_test_id("editor-favourite")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("link", name="Back to the library").click()
    page.get_by_role("searchbox", name="Search personas").fill("")
    page.get_by_role("button", name="★ Favourites").click()
    expect(page.get_by_test_id("persona-row")).to_have_count(1, timeout=SLOW_MS)
    expect(page.get_by_test_id("persona-row").first).to_have_attribute("data-persona", persona_id)
    page.get_by_role("button", name="★ Favourites").click()

    # Delete: it asks first and says what goes with it.
    page.locator(f'[data-persona="{persona_id}"]').get_by_test_id("persona-open").click()
    page.get_by_test_id("persona-delete").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("memories")
    confirm.get_by_test_id("persona-confirm-delete").click()
    expect(page.get_by_test_id("persona-row")).to_have_count(1, timeout=SLOW_MS)
    expect(page.get_by_test_id("persona-row").first).to_contain_text("Ada Lovelace")


def test_cards_dropped_on_the_window_import(app_page: Page) -> None:
    page = app_page
    page.evaluate("location.hash = '#/personas'")
    expect(page.get_by_test_id("persona-empty")).to_be_visible(timeout=SLOW_MS)
    card = list((CARDS / "wren-ashdown-v3.png").read_bytes())
    page.evaluate("""(bytes) => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(bytes)], "wren-ashdown-v3.png"));
        data.items.add(new File(["not a card"], "notes.txt"));
        const target = document.querySelector(".personas-page");
        const init = { dataTransfer: data, bubbles: true, cancelable: true };
        target.dispatchEvent(new DragEvent("dragover", init));
        target.dispatchEvent(new DragEvent("drop", init));
    }""", card)
    result = page.get_by_test_id("import-result")
    expect(result).to_contain_text("1 imported, 1 skipped", timeout=SLOW_MS)
    expect(page.get_by_test_id("persona-row")).to_have_count(1)
    expect(page.get_by_test_id("persona-row").first).to_contain_text("Wren Ashdown")
