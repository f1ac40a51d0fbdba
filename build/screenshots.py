"""`make screenshots`: every page of the window, light and dark, as PNGs in docs/screenshots/.

Launches the real app on a temp home (the CDP harness of `pajamas.perf.driven_app`), gives
it a little to show (a persona with memories, a finished task), then visits each page in each
theme and waits for the page's own content before it takes the picture.  The chat page also
shows a model's tool call waiting for consent and, once allowed, its record: the model is
the tests' fake OpenAI server (tests/chat/fake_openai.py), which asks for one call.
`python build/screenshots.py memory tasks` takes only the pages named.
"""

from __future__ import annotations

import base64
import json
import sys
import tempfile
from pathlib import Path
from typing import Final

from playwright.sync_api import Page, sync_playwright

from pajamas.perf.benchmarks.memory import model_folder
from pajamas.perf.driven_app import HubApp, attach

ROOT: Final = Path(__file__).resolve().parents[1]
OUT: Final = ROOT / "docs" / "screenshots"
PAGES: Final = ("chat", "personas", "memory", "plugins", "tasks", "dashboard", "performance",
                "settings", "status")
# What each page shows once its data is in (a page not listed: its heading).
READY: Final = {
    "status": '[data-testid="status-version"]:not(:text("—"))',
    "tasks": '[data-testid="task-row"]',
    "settings": '[data-testid="setting"]',
    "memory": '[data-testid="memory-detail"]',
    "dashboard": '[data-testid="chart-rss"]:not([data-points="0"]) canvas',
    "performance": '[data-testid="perf-run-row"]',
    "plugins": '[data-testid="plugin-kill"]',
    "personas": '.personas-page:has([data-testid="tag-chip"]) [data-testid="persona-row"] img',
    # the messages and the conversation's title (each comes from its own call)
    "chat": '[data-testid="chat-conversation"]:has([data-testid="chat-title"]:not(:text("…")))'
            ' [data-testid="chat-message"] [data-testid="chat-text"]',
}
CARD: Final = ROOT / "examples" / "cards" / "wren-ashdown.png"
MEMORIES: Final = [
    {"text": "Ada takes her tea green, no sugar, every morning.", "importance": 0.8,
     "metadata": {"topic": "food"}},
    {"text": "Ada is writing notes on the Analytical Engine for Babbage.", "importance": 0.9,
     "metadata": {"topic": "work"}},
    {"text": "Ada mentioned her mother insists on mathematics lessons.", "importance": 0.5},
    {"text": "Ada plans a visit to the Royal Institution on Friday.", "importance": 0.6,
     "metadata": {"topic": "plans"}},
    {"text": "Ada dislikes loud rooms; prefers quiet evenings with a book.", "importance": 0.4},
]
# A conversation with the example card's persona, as a SillyTavern chat file (chat.import).
CHAT: Final = [
    {"user_name": "Traveller", "character_name": "Wren Ashdown",
     "create_date": "2024-11-02@21h04m10s", "chat_metadata": {}},
    {"name": "Wren Ashdown", "is_user": False, "send_date": 1730581450000,
     "mes": "*The door bangs open on a gust of rain, and a tall woman in an oilskin coat hauls "
            "it shut behind you.* You made it across, then. Barely. Tea's on the stove. "
            "Mind the cat."},
    {"name": "Traveller", "is_user": True, "send_date": 1730581510000,
     "mes": "Thank you. How long until the storm passes?"},
    {"name": "Wren Ashdown", "is_user": False, "send_date": 1730581530000,
     "mes": "*She taps the barometer by the door.* Falling still. By my log:\n\n"
            "- **midnight**: the worst of it, gusts past force nine\n"
            "- **four o'clock**: the wind backs west\n"
            "- **first light**: the causeway clears\n\n"
            "So: morning. *She sets a chipped mug in front of you.*",
     "swipes": ["*She shrugs.* Morning, if the sea allows it.",
                "*She taps the barometer by the door.* Falling still. By my log:\n\n"
                "- **midnight**: the worst of it, gusts past force nine\n"
                "- **four o'clock**: the wind backs west\n"
                "- **first light**: the causeway clears\n\n"
                "So: morning. *She sets a chipped mug in front of you.*"],
     "swipe_id": 1},
    {"name": "Traveller", "is_user": True, "send_date": 1730581590000,
     "mes": "Do you ever get visitors out here, apart from the stranded ones?"},
    {"name": "Wren Ashdown", "is_user": False, "send_date": 1730581610000,
     "mes": "The post boat, twice a month. The cat, who believes she owns the place. "
            "And the lamp, which is better company than most. *A faint smile.* "
            "You're the first in a while to ask."},
]
WAIT_MS: Final = 30_000
# Resolves once the page has painted what it rendered (two animation frames).
TWO_FRAMES: Final = ("() => new Promise((r) => "
                     "requestAnimationFrame(() => requestAnimationFrame(r)))")


def seed(page: Page) -> dict[str, str]:
    """Personas (the example card among them, one with a few memories) and a finished task,
    through the page's own bridge; the routes' params of the pages that show them
    ({"memory": "memory/<persona id>"})."""
    persona = page.evaluate("""async ([items, card]) => {
        const { call } = await import("./src/bridge.js");
        const ada = await call("persona.create", { name: "Ada", description: "A first persona.",
                                                   tags: ["maths", "victorian"] });
        await call("persona.create", { name: "Captain Vell", tags: ["fantasy", "sea"],
                                       description: "Pirate captain of the Gilded Heron." });
        await call("persona.import_files", { files: [{ name: "wren-ashdown.png", data: card }] });
        await call("memory.add_batch", { persona: ada.id, items });
        await call("perf.run", { only: ["rpc.roundtrip"] });
        return ada.id;
    }""", [MEMORIES, base64.b64encode(CARD.read_bytes()).decode("ascii")])
    page.evaluate("location.hash = '#/tasks'")
    page.locator('[data-testid="task-row"][data-state="done"]').first.wait_for(timeout=120_000)
    return {"memory": f"memory/{persona}", "chat": seed_chat(page)}


def seed_chat(page: Page) -> str:
    """A conversation with Wren Ashdown (chat.import); the chat page's route to it."""
    jsonl = "\n".join(json.dumps(line) for line in CHAT) + "\n"
    return str(page.evaluate("""async (jsonl) => {
        const { call } = await import("./src/bridge.js");
        // The card's import is a task of its own: wait until the persona is there.
        let wren = null;
        while (!wren) {
            wren = await call("persona.get", { name: "Wren Ashdown" }, { quiet: true })
                .catch(() => new Promise((r) => setTimeout(() => r(null), 200)));
        }
        await call("chat.create", { persona: wren.id, title: "Supplies for the winter" });
        const chat = await call("chat.import", { persona: wren.id, jsonl });
        await call("chat.update", { conversation: chat.id, title: "Stranded at Lanternholm" });
        return `chat/${wren.id}/${chat.id}`;
    }""", jsonl))


def seed_plugins(page: Page) -> None:
    """Two plugins for Ada: text-stats, called once, and a memory hog, killed once."""
    page.evaluate("""async ([stats, hog]) => {
        const { call } = await import("./src/bridge.js");
        const { items } = await call("persona.list", {});
        for (const path of [stats, hog]) {
            const { name } = await call("plugin.install", { path });
            await call("plugin.enable", { persona: items[0].id, name });
        }
        await call("plugin.call", { persona: items[0].id, name: "text-stats", function: "count",
                                    args: { text: "Hello there." } });
        await call("plugin.call", { persona: items[0].id, name: "memory-hog", function: "grow" },
                   { quiet: true }).catch(() => null);
    }""", [str(ROOT / "plugins" / "text-stats"),
           str(ROOT / "tests" / "plugins" / "hostile" / "memory-hog")])


def prepare(page: Page, page_id: str) -> None:
    """What a page shows in its picture beyond its first paint (the memory page: one open)."""
    if page_id == "memory":
        page.locator('[data-testid="memory-row"] .memory-open').first.click(timeout=WAIT_MS)


def shoot(page: Page, out: Path, routes: dict[str, str],
          pages: tuple[str, ...] = PAGES) -> list[Path]:
    """Each page in light then dark; the paths written."""
    written = []
    for theme in ("light", "dark"):
        page.evaluate("async (t) => (await import('./src/lib/theme.js')).setThemeChoice(t)", theme)
        for page_id in pages:
            page.evaluate("(r) => { location.hash = '#/' + r; }", routes.get(page_id, page_id))
            page.locator(f'main[data-page="{page_id}"] h2').first.wait_for(timeout=WAIT_MS)
            prepare(page, page_id)
            if page_id in READY:
                page.locator(READY[page_id]).first.wait_for(timeout=WAIT_MS)
            page.evaluate(TWO_FRAMES)
            path = out / f"{page_id}-{theme}.png"
            page.screenshot(path=path)
            written.append(path)
            if page_id == "performance":  # and the seeded run's report, with its samples
                page.locator('[data-testid="perf-run-row"] a').first.click()
                page.locator('[data-testid="perf-samples"] canvas').wait_for(timeout=WAIT_MS)
                page.evaluate(TWO_FRAMES)
                path = out / f"performance-report-{theme}.png"
                page.screenshot(path=path)
                written.append(path)
            if page_id == "chat":  # and the prompt inspector beside the conversation
                written.append(shoot_prompt(page, out / f"chat-prompt-{theme}.png"))
            if page_id == "personas":  # and the editor, open on the example card
                written.append(shoot_editor(page, out / f"personas-editor-{theme}.png"))
    if "chat" in pages:
        written += shoot_tools(page, out)
    return written


def shoot_tools(page: Page, out: Path) -> list[Path]:
    """A slash command's result, then a model's tool call waiting for consent, then its
    record once allowed: chat-tools-{light,dark}.png and chat-tool-record-{light,dark}.png."""
    sys.path.insert(0, str(ROOT))  # the tests' fake server plays the model
    from tests.chat.fake_openai import FakeOpenAI  # noqa: PLC0415

    fake = FakeOpenAI()
    try:
        fake.words = ["Your", " list", " has", " **eleven", " words**", " in", " three",
                      " sentences", ".", " Flour", " first", ",", " then", " the", " lamp",
                      " oil", "."]
        fake.tool_rounds = [[{"id": "call_1", "name": "text-stats__count", "arguments": json.dumps(
            {"text": "Flour, two sacks. Lamp oil. Salt for the fish, and candles."})}]]
        route = seed_tools(page, fake.base_url)
        page.evaluate("(r) => { location.hash = '#/' + r; }", route)
        page.get_by_test_id("chat-command").wait_for(timeout=WAIT_MS)
        draft = page.get_by_role("textbox", name="Message")
        draft.fill("How long is my list for the post boat?")
        draft.press("Enter")
        page.get_by_test_id("chat-consent").wait_for(timeout=WAIT_MS)
        written = themed(page, out / "chat-tools.png")
        page.get_by_role("button", name="Allow once").click()
        page.get_by_test_id("chat-usage").last.wait_for(timeout=WAIT_MS)
        page.locator('[data-testid="chat-tool"] summary').last.click()
        page.mouse.move(0, 0)  # no hover or focus actions on the reply
        page.evaluate("() => document.activeElement?.blur()")
        written += themed(page, out / "chat-tool-record.png")
    finally:
        fake.close()
    return written


def seed_tools(page: Page, base_url: str) -> str:
    """text-stats for Wren Ashdown, a provider that takes tool calls (the fake server), and a
    conversation with it that ran /stats; the chat page's route to it."""
    command = '/stats {"text": "Tea, flour and lamp oil. Mind the cat."}'
    return str(page.evaluate("""async ([base_url, stats, text]) => {
        const { call } = await import("./src/bridge.js");
        const wren = await call("persona.get", { name: "Wren Ashdown" });
        await call("plugin.install", { path: stats }, { quiet: true }).catch(() => null);
        await call("plugin.enable", { persona: wren.id, name: "text-stats" });
        await call("provider.add", { id: "lantern-llm", base_url, model: "lantern-8b", tools: true,
                                     context_tokens: 8192 });
        const chat = await call("chat.create", { persona: wren.id, title: "The post boat's list",
                                                 provider: "lantern-llm" });
        await call("chat.send", { conversation: chat.id, text });
        return `chat/${wren.id}/${chat.id}`;
    }""", [base_url, str(ROOT / "plugins" / "text-stats"), command]))


def themed(page: Page, path: Path) -> list[Path]:
    """The page as it is, light then dark: <stem>-light.png and <stem>-dark.png."""
    written = []
    for theme in ("light", "dark"):
        page.evaluate("async (t) => (await import('./src/lib/theme.js')).setThemeChoice(t)", theme)
        page.evaluate(TWO_FRAMES)
        written.append(path.with_name(f"{path.stem}-{theme}.png"))
        page.screenshot(path=written[-1])
    return written


def shoot_prompt(page: Page, path: Path) -> Path:
    """The chat's prompt inspector, with a draft in the composer."""
    page.get_by_role("textbox", name="Message").fill("Shall I help with the lamp tonight?")
    page.get_by_test_id("chat-inspect").click()
    page.get_by_test_id("chat-prompt-total").wait_for(timeout=WAIT_MS)
    page.evaluate(TWO_FRAMES)
    page.screenshot(path=path)
    page.get_by_role("button", name="Close the prompt inspector").click()
    page.get_by_role("textbox", name="Message").fill("")
    return path


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


def main(argv: list[str]) -> int:
    """Write the screenshots (of the pages named in argv, or all); 0 when every one was taken."""
    pages = tuple(argv) or PAGES
    unknown = set(pages) - set(PAGES)
    if unknown:
        print(f"no such page: {', '.join(sorted(unknown))}; pages: {', '.join(PAGES)}")
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pajamas-shots-") as tmp:
        # The memory page's seed embeds: the machine's one model export (pajamas perf's).
        app = HubApp.launch(Path(tmp) / "home", PAJAMAS_DEBUG_METHODS="1",
                            PAJAMAS_EMBEDDING_MODEL_DIR=str(model_folder()))
        try:
            app.wait_for_cdp()
            with sync_playwright() as playwright:
                _browser, page = attach(playwright, app)
                routes = seed(page)
                seed_plugins(page)
                for path in shoot(page, OUT, routes, pages):
                    print(path.relative_to(ROOT))
        finally:
            app.terminate()
            app.kill_leftovers()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
