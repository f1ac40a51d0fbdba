"""The memory page in the real window: add a memory, find it by search with its score, edit it,
delete it (undo once, then for good), see a memory added by another client appear live, and
pack a context in the inspector, and export as a task with its summary."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pajamas.perf.benchmarks.memory import model_folder
from pajamas.perf.driven_app import HubApp

pytestmark = pytest.mark.e2e

SLOW_MS = 20_000
MODEL_MS = 60_000  # the first add loads the embedding model


@pytest.fixture
def hub_settings() -> dict[str, str]:
    """The core embeds with the machine's one ONNX export (made once, shared with perf)."""
    return {"PAJAMAS_EMBEDDING_MODEL_DIR": str(model_folder())}


def rpc(page: Page, method: str, params: dict[str, object]) -> object:
    return page.evaluate("""async ([method, params]) => {
        const { call } = await import("./src/bridge.js");
        return call(method, params);
    }""", [method, params])


def cli_env(hub: HubApp) -> dict[str, str]:
    """The CLI's environment: the hub's home, no other PAJAMAS_* setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAJAMAS_")}
    return {**env, "PAJAMAS_HOME": str(hub.home)}


def test_add_search_edit_delete_and_inspect(app_page: Page, hub: HubApp,
                                            tmp_path: Path) -> None:
    persona = rpc(app_page, "persona.create", {"name": "Ada"})
    assert isinstance(persona, dict)
    app_page.evaluate("location.hash = '#/memory'")
    app_page.get_by_role("link", name="Memories of Ada").click()
    expect(app_page.get_by_test_id("memory-persona-name")).to_have_text("Ada", timeout=SLOW_MS)
    expect(app_page.get_by_test_id("memory-empty")).to_be_visible(timeout=SLOW_MS)

    # Add: checked before it is sent, then on disk and in the list.
    app_page.get_by_role("button", name="Add memory").click()
    form = app_page.get_by_test_id("memory-add-form")
    form.get_by_role("textbox", name="Memory text").fill("Ada drinks green tea every morning")
    form.get_by_role("textbox", name="Metadata").fill("[1]")
    form.get_by_role("button", name="Add").click()
    expect(form.get_by_role("alert")).to_contain_text("JSON object")
    form.get_by_role("textbox", name="Metadata").fill('{"topic": "food"}')
    form.get_by_role("button", name="Add").click()
    rows = app_page.get_by_test_id("memory-row")
    expect(rows).to_have_count(1, timeout=MODEL_MS)
    detail = app_page.get_by_test_id("memory-detail")
    expect(detail.get_by_role("textbox", name="Memory text")).to_have_value(
        "Ada drinks green tea every morning")

    # A memory added from the CLI appears live (memory.changed).
    cli = subprocess.run([sys.executable, "-m", "pajamas", "memory", "add", "Ada",
                          "Ada fixed the loom"], env=cli_env(hub), capture_output=True,
                         text=True, timeout=120, check=False)
    assert cli.returncode == 0, cli.stderr
    expect(rows).to_have_count(2, timeout=SLOW_MS)
    expect(rows.first).to_contain_text("Ada fixed the loom")  # newest first

    # Search: score and the matched words, highlighted as text.
    app_page.get_by_role("searchbox", name="Search query").fill("green tea")
    hit = rows.filter(has_text="green tea")
    expect(hit.get_by_test_id("memory-score")).to_contain_text("score", timeout=SLOW_MS)
    expect(hit.get_by_test_id("memory-matched")).to_have_text("matched: green, tea")
    expect(hit.locator("mark")).to_have_count(2)
    app_page.get_by_role("combobox", name="Search mode").select_option("text")
    expect(app_page.get_by_test_id("memory-count")).to_have_text("1 result", timeout=SLOW_MS)
    filters = app_page.get_by_test_id("memory-filters-toggle")
    filters.click()
    app_page.get_by_role("textbox", name="Metadata filter").fill("topic")
    expect(app_page.get_by_test_id("memory-form-error")).to_contain_text("key=value")
    app_page.get_by_role("textbox", name="Metadata filter").fill("topic=food")
    expect(app_page.get_by_test_id("memory-count")).to_have_text("1 result", timeout=SLOW_MS)
    app_page.get_by_role("textbox", name="Metadata filter").fill("topic=work")
    expect(app_page.get_by_test_id("memory-count")).to_have_text("0 results", timeout=SLOW_MS)
    app_page.get_by_role("textbox", name="Metadata filter").fill("")
    filters.click()

    # Edit: importance is checked, then saved.
    hit.get_by_role("button", name="Open memory").click()
    importance = detail.get_by_role("spinbutton", name="Importance")
    importance.fill("3")
    detail.get_by_role("button", name="Save").click()
    expect(detail.get_by_role("alert")).to_contain_text("0 to 1")
    importance.fill("0.9")
    detail.get_by_role("textbox", name="Memory text").fill("Ada drinks green tea every evening")
    detail.get_by_role("button", name="Save").click()
    expect(app_page.get_by_test_id("toast").filter(has_text="Saved")).to_be_visible()
    expect(hit).to_contain_text("importance 0.90", timeout=SLOW_MS)
    memory_id = detail.get_attribute("data-memory")
    stored = rpc(app_page, "memory.get", {"persona": persona["id"], "id": memory_id})
    assert isinstance(stored, dict)
    assert stored["text"] == "Ada drinks green tea every evening"
    assert stored["importance"] == pytest.approx(0.9)  # stored as a float32

    # Delete, undo: nothing is sent; delete the selection: sent when its undo window ends.
    detail.get_by_role("button", name="Delete").click()
    expect(hit).to_have_class(re.compile("pending-delete"))
    app_page.get_by_role("button", name="Undo delete").click()
    expect(app_page.get_by_test_id("memory-undo")).to_have_count(0)
    expect(hit).not_to_have_class(re.compile("pending-delete"))
    assert rpc(app_page, "memory.get", {"persona": persona["id"], "id": memory_id})
    hit.get_by_role("checkbox").check()
    app_page.get_by_role("button", name="Delete 1 selected").click()
    expect(app_page.get_by_test_id("toast").filter(has_text="Deleted")).to_be_visible(
        timeout=SLOW_MS)
    expect(app_page.get_by_test_id("memory-count")).to_have_text("0 results", timeout=SLOW_MS)
    app_page.get_by_role("searchbox", name="Search query").fill("")
    expect(app_page.get_by_test_id("memory-count")).to_have_text("1 memory", timeout=SLOW_MS)

    # The context inspector: the packed text and each memory's tokens.
    app_page.get_by_role("tab", name="Context inspector").click()
    app_page.get_by_role("textbox", name="Context query").fill("loom")
    app_page.get_by_role("spinbutton", name="Token budget").fill("64")
    app_page.get_by_role("button", name="Pack").click()
    result = app_page.get_by_test_id("context-result")
    expect(result.get_by_test_id("context-text")).to_have_text("- Ada fixed the loom",
                                                                 timeout=SLOW_MS)
    expect(result.get_by_test_id("context-item-tokens")).to_have_text(re.compile(r"^[1-9]\d*$"))
    expect(result.get_by_test_id("context-tokens")).to_contain_text("of 64 tokens")

    # The superseded_by chain, followed, and the texts a memory merged.
    loom = rpc(app_page, "memory.list", {"persona": persona["id"]})
    assert isinstance(loom, dict)
    old_id = loom["items"][0]["id"]
    newer = rpc(app_page, "memory.add", {"persona": persona["id"], "text": "Ada mended the loom",
                                         "metadata": {"merged": [old_id]}})
    assert isinstance(newer, dict)
    rpc(app_page, "memory.supersede", {"persona": persona["id"], "id": old_id, "by": newer["id"]})
    app_page.get_by_role("tab", name="Memories").click()
    expect(app_page.get_by_test_id("memory-count")).to_have_text("2 memories", timeout=SLOW_MS)
    app_page.get_by_test_id("memory-row").filter(has_text="fixed the loom").get_by_role(
        "button", name="Open memory").click()
    superseded = app_page.get_by_test_id("memory-superseded")
    expect(superseded).to_contain_text("Superseded")
    superseded.get_by_role("button", name="Follow").click()
    expect(detail).to_have_attribute("data-memory", newer["id"])
    expect(detail.get_by_test_id("memory-merged")).to_contain_text("Ada fixed the loom")
    detail.get_by_role("button", name="Back").click()
    expect(detail).to_have_attribute("data-memory", old_id)

    # Maintenance: an export runs as a task, followed to its summary.
    app_page.get_by_role("tab", name="Maintenance").click()
    export = app_page.get_by_test_id("maintain-export")
    export.get_by_role("button", name="Export").click()
    expect(export.get_by_role("alert")).to_contain_text("Type the file's path")
    out = tmp_path / "ada.jsonl"
    export.get_by_role("textbox", name="Export path").fill(str(out))
    export.get_by_role("button", name="Export").click()
    run = app_page.get_by_test_id("maintain-run")
    expect(run).to_have_attribute("data-state", "done", timeout=SLOW_MS)
    expect(run.get_by_test_id("maintain-summary")).to_contain_text("count 2")
    assert out.read_text(encoding="utf-8").count("\n") == 2


def test_a_long_list_pages_as_it_scrolls_with_few_rows_in_the_dom(app_page: Page) -> None:
    persona = rpc(app_page, "persona.create", {"name": "Babbage"})
    assert isinstance(persona, dict)
    items = [{"text": f"note number {n}"} for n in range(400)]
    rpc(app_page, "memory.add_batch", {"persona": persona["id"], "items": items})
    app_page.evaluate("(id) => { location.hash = '#/memory/' + id; }", persona["id"])
    listing = app_page.get_by_test_id("memory-list")
    expect(listing).to_have_attribute("data-count", "400", timeout=MODEL_MS)
    rows = listing.locator(".vlist-row")
    expect(rows.first).to_contain_text("note number")
    listing.evaluate("(el) => { el.scrollTop = el.scrollHeight; }")
    # The last row's page (offset 300) was fetched as the list scrolled there.
    last = listing.locator('.vlist-row[data-index="399"] [data-testid="memory-row"]')
    expect(last).to_contain_text("note number", timeout=SLOW_MS)
    assert rows.count() <= 60
