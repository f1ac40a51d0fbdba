"""`make screenshots`: every page of the window, light and dark, as PNGs in docs/screenshots/.

Launches the real app on a temp home (the CDP harness of `pajamas.perf.driven_app`), gives
it a little to show (a persona, a finished task), then visits each page in each theme and
waits for the page's own content before it takes the picture.
"""

from __future__ import annotations

import base64
import sys
import tempfile
from pathlib import Path
from typing import Final

from playwright.sync_api import Page, sync_playwright

from pajamas.perf.driven_app import START_TIMEOUT_S, HubApp, find_page

ROOT: Final = Path(__file__).resolve().parents[1]
OUT: Final = ROOT / "docs" / "screenshots"
PAGES: Final = ("chat", "personas", "memory", "plugins", "tasks", "dashboard", "performance",
                "settings", "status")
# What each page shows once its data is in (a page not listed: its heading).
READY: Final = {
    "status": '[data-testid="status-version"]:not(:text("—"))',
    "tasks": '[data-testid="task-row"]',
    "settings": '[data-testid="setting"]',
    "personas": '[data-testid="persona-row"] img',
}
CARD: Final = ROOT / "examples" / "cards" / "wren-ashdown.png"
WAIT_MS: Final = 30_000
# Resolves once the page has painted what it rendered (two animation frames).
TWO_FRAMES: Final = ("() => new Promise((r) => "
                     "requestAnimationFrame(() => requestAnimationFrame(r)))")


def seed(page: Page) -> None:
    """Personas (the example card among them) and a finished task, through the page's bridge."""
    page.evaluate("""async (card) => {
        const { call } = await import("./src/bridge.js");
        await call("persona.create", { name: "Ada", description: "A first persona.",
                                       tags: ["maths", "victorian"] });
        await call("persona.create", { name: "Captain Vell", tags: ["fantasy", "sea"],
                                       description: "Pirate captain of the Gilded Heron." });
        await call("persona.import_files", { files: [{ name: "wren-ashdown.png", data: card }] });
        const { task } = await call("perf.run", { only: ["rpc.roundtrip"] });
        return task;
    }""", base64.b64encode(CARD.read_bytes()).decode("ascii"))
    page.evaluate("location.hash = '#/tasks'")
    page.locator('[data-testid="task-row"][data-state="done"]').first.wait_for(timeout=120_000)


def shoot(page: Page, out: Path) -> list[Path]:
    """Each page in light then dark; the paths written."""
    written = []
    for theme in ("light", "dark"):
        page.evaluate("async (t) => (await import('./src/lib/theme.js')).setThemeChoice(t)", theme)
        for page_id in PAGES:
            page.evaluate("(id) => { location.hash = '#/' + id; }", page_id)
            page.locator(f'main[data-page="{page_id}"] h2').first.wait_for(timeout=WAIT_MS)
            if page_id in READY:
                page.locator(READY[page_id]).first.wait_for(timeout=WAIT_MS)
            page.evaluate(TWO_FRAMES)
            path = out / f"{page_id}-{theme}.png"
            page.screenshot(path=path)
            written.append(path)
        written.append(shoot_editor(page, out / f"personas-editor-{theme}.png"))
    return written


def shoot_editor(page: Page, path: Path) -> Path:
    """The persona editor, open on the example card."""
    page.evaluate("location.hash = '#/personas'")
    page.get_by_role("link", name="Wren Ashdown").click()
    page.get_by_test_id("field-scenario").wait_for(timeout=WAIT_MS)
    page.evaluate(TWO_FRAMES)
    page.screenshot(path=path)
    page.get_by_role("table", name="Lorebook entries").scroll_into_view_if_needed()
    page.evaluate(TWO_FRAMES)
    page.screenshot(path=path.with_name(path.stem + "-lorebook.png"))
    return path


def main() -> int:
    """Write the screenshots; 0 when every page was taken."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pajamas-shots-") as tmp:
        app = HubApp.launch(Path(tmp) / "home", PAJAMAS_DEBUG_METHODS="1")
        try:
            app.wait_for_cdp()
            with sync_playwright() as playwright:
                browser = playwright.chromium.connect_over_cdp(
                    app.cdp_url, no_defaults=True, timeout=START_TIMEOUT_S * 1000)
                page = find_page(browser, app)
                page.wait_for_load_state("load")
                seed(page)
                for path in shoot(page, OUT):
                    print(path.relative_to(ROOT))
        finally:
            app.terminate()
            app.kill_leftovers()
    return 0


if __name__ == "__main__":
    sys.exit(main())
