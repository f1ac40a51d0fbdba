"""The app shell in the real window: navigation, deep links, the quick switcher, themes, the
sanitizer with a real DOM."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

SLOW_MS = 20_000
NAV = ["Chat", "Personas", "Memory", "Plugins", "Tasks", "Dashboard", "Performance", "Settings",
       "Status"]


def current_page(page: Page) -> str:
    """The id of the page the window shows."""
    return page.get_by_test_id("page").get_attribute("data-page") or ""


def test_the_nav_has_every_page_in_order_with_its_accessible_name(app_page: Page) -> None:
    nav = app_page.get_by_role("navigation", name="Pages")
    links = nav.get_by_role("link")
    expect(links).to_have_count(len(NAV), timeout=SLOW_MS)
    for index, name in enumerate(NAV):
        expect(links.nth(index)).to_have_accessible_name(name)
    nav.get_by_role("link", name="Settings", exact=True).click()
    expect(app_page.get_by_test_id("page")).to_have_attribute("data-page", "settings")
    expect(nav.get_by_role("link", name="Settings", exact=True)).to_have_attribute(
        "aria-current", "page")
    expect(app_page.get_by_role("heading", name="Settings", level=2)).to_be_visible()


def test_deep_links_open_their_page_and_back_and_forward_work(app_page: Page) -> None:
    expect(app_page.get_by_test_id("page")).to_have_attribute("data-page", "status",
                                                              timeout=SLOW_MS)
    for hash_, page_id in [("#/tasks", "tasks"), ("#/memory/p%201", "memory"),
                           ("#/chat/p1/c2", "chat"), ("#/nowhere", "notfound")]:
        app_page.evaluate("(h) => { location.hash = h; }", hash_)
        expect(app_page.get_by_test_id("page")).to_have_attribute("data-page", page_id)
    app_page.go_back()
    expect(app_page.get_by_test_id("page")).to_have_attribute("data-page", "chat")
    expect(app_page).to_have_url(re.compile(r"#/chat/p1/c2$"))
    expect(app_page.get_by_test_id("chat-no-persona")).to_be_visible(timeout=SLOW_MS)  # p1
    app_page.go_back()
    expect(app_page.get_by_test_id("page")).to_have_attribute("data-page", "memory")
    expect(app_page).to_have_url(re.compile(r"#/memory/p%201$"))  # the param, kept encoded
    app_page.go_forward()
    expect(app_page.get_by_test_id("page")).to_have_attribute("data-page", "chat")


def test_ctrl_k_switches_page_by_keyboard(app_page: Page) -> None:
    expect(app_page.get_by_test_id("page")).to_have_attribute("data-page", "status",
                                                              timeout=SLOW_MS)
    app_page.keyboard.press("Control+k")
    dialog = app_page.get_by_role("dialog", name="Quick switcher")
    expect(dialog).to_be_visible()
    box = dialog.get_by_role("combobox", name="Go to a page or persona")
    expect(box).to_be_focused()
    box.type("task")
    options = dialog.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_have_attribute("aria-selected", "true")
    app_page.keyboard.press("Enter")
    expect(dialog).to_have_count(0)
    expect(app_page.get_by_test_id("page")).to_have_attribute("data-page", "tasks")
    # Arrows move through the list, Escape closes without going anywhere.
    app_page.keyboard.press("Control+k")
    expect(box).to_be_focused()
    app_page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    app_page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert current_page(app_page) == "tasks"


def test_ctrl_k_finds_personas_too(app_page: Page) -> None:
    expect(app_page.get_by_test_id("page")).to_have_attribute("data-page", "status",
                                                              timeout=SLOW_MS)
    persona = app_page.evaluate("""async () => {
        const { call } = await import("./src/bridge.js");
        return (await call("persona.create", { name: "Wren Ashdown" })).id;
    }""")
    app_page.keyboard.press("Control+k")
    box = app_page.get_by_role("combobox", name="Go to a page or persona")
    expect(box).to_be_focused()
    box.type("ashd")
    option = app_page.get_by_role("option", name="Wren Ashdown Persona")
    expect(option).to_have_attribute("aria-selected", "true")
    app_page.keyboard.press("Enter")
    expect(app_page.get_by_test_id("page")).to_have_attribute("data-page", "personas")
    assert app_page.evaluate("location.hash") == f"#/personas/{persona}"


def test_the_theme_follows_the_choice_and_is_kept(app_page: Page) -> None:
    root = app_page.locator("html")
    expect(root).to_have_attribute("data-theme", re.compile("^(light|dark)$"), timeout=SLOW_MS)
    select = app_page.get_by_role("combobox", name="Theme")
    select.select_option("dark")
    expect(root).to_have_attribute("data-theme", "dark")
    background = app_page.evaluate("getComputedStyle(document.body).backgroundColor")
    select.select_option("light")
    expect(root).to_have_attribute("data-theme", "light")
    assert app_page.evaluate("getComputedStyle(document.body).backgroundColor") != background
    assert app_page.evaluate("localStorage.getItem('pajamas.theme')") == "light"
    select.select_option("dark")
    app_page.reload()
    expect(root).to_have_attribute("data-theme", "dark", timeout=SLOW_MS)
    expect(app_page.get_by_role("combobox", name="Theme")).to_have_value("dark")


def test_the_sanitizer_neutralizes_hostile_markdown_in_a_real_dom(app_page: Page) -> None:
    expect(app_page.get_by_test_id("page")).to_have_attribute("data-page", "status",
                                                              timeout=SLOW_MS)
    result = app_page.evaluate("""async () => {
        const { markdownToHtml } = await import("./src/lib/sanitize.js");
        window.__pwned = false;
        const out = markdownToHtml(
            'Hello **there**\\n\\n<img src=x onerror="window.__pwned = true">\\n\\n' +
            '[click](javascript:window.__pwned=true) <a href="javascript:alert(1)">a</a>' +
            '<script>window.__pwned = true</script> [ok](https://example.org)');
        const host = document.createElement("div");
        host.innerHTML = out;
        document.body.appendChild(host);
        const hrefs = [...host.querySelectorAll("a")].map((a) => a.getAttribute("href"));
        host.remove();
        return { out, hrefs, pwned: window.__pwned };
    }""")
    assert result["pwned"] is False
    assert "<strong>there</strong>" in result["out"]
    assert "onerror" not in result["out"]
    assert "<script" not in result["out"]
    assert "javascript:" not in result["out"]
    assert "https://example.org" in result["hrefs"]


def test_the_window_s_policy_refuses_inline_script_that_got_past_the_sanitizer(
        app_page: Page) -> None:
    expect(app_page.get_by_test_id("page")).to_have_attribute("data-page", "status",
                                                              timeout=SLOW_MS)
    # Raw HTML put in the page by hand, as if a hostile string had skipped the sanitizer: the
    # policy must refuse its handler (and say so with a violation event) rather than run it.
    result = app_page.evaluate("""() => new Promise((resolve) => {
        window.__raw = false;
        window.__ran = () => resolve({ directive: null, raw: window.__raw });
        document.addEventListener("securitypolicyviolation", (e) => resolve({
            directive: e.effectiveDirective, raw: window.__raw }), { once: true });
        const host = document.createElement("div");
        host.innerHTML = '<img src="x" onerror="window.__raw = true; window.__ran()">';
        document.body.appendChild(host);
    })""")
    assert result == {"directive": "script-src-attr", "raw": False}
    assert app_page.evaluate("window.__raw") is False


def test_no_page_of_the_window_breaks_its_own_policy(app_page: Page) -> None:
    violations: list[str] = []
    app_page.on("console", lambda msg: violations.append(msg.text)
                if "Content Security Policy" in msg.text else None)
    app_page.reload()
    expect(app_page.get_by_test_id("page")).to_have_attribute("data-page", "status",
                                                              timeout=SLOW_MS)
    nav = app_page.get_by_role("navigation", name="Pages")
    for name in NAV:
        link = nav.get_by_role("link", name=name, exact=True)
        link.click()
        expect(link).to_have_attribute("aria-current", "page", timeout=SLOW_MS)
    assert violations == []


def test_the_virtual_list_keeps_the_dom_small_and_fetches_pages_as_it_scrolls(
        app_page: Page) -> None:
    expect(app_page.get_by_test_id("page")).to_have_attribute("data-page", "status",
                                                              timeout=SLOW_MS)
    # The page's own modules, over a fake list method of 100,000 items.
    app_page.evaluate("""async () => {
        const { html, render } = await import("./src/lib/preact.js");
        const { createListStore } = await import("./src/lib/store.js");
        const { VirtualList } = await import("./src/components/VirtualList.js");
        const calls = [];
        const call = async (method, { offset, limit }) => {
            calls.push(offset);
            const n = Math.max(0, Math.min(limit, 100000 - offset));
            return { items: Array.from({ length: n }, (_, i) => ({ id: offset + i })),
                     total: 100000 };
        };
        const store = createListStore({ call, method: "fake.list", pageSize: 100 });
        const host = document.createElement("div");
        host.style = "position: fixed; top: 0; left: 0; width: 400px; z-index: 99";
        document.body.appendChild(host);
        render(html`<${VirtualList} store=${store} rowHeight=${20} height=${400} label="Fake"
            testid="fake-list" getKey=${(item) => item.id}
            renderRow=${(item) => html`<span>${item ? `item ${item.id}` : "loading"}</span>`} />`,
            host);
        window.__fakeCalls = calls;
    }""")
    fake = app_page.get_by_role("list", name="Fake")
    expect(fake).to_have_attribute("data-count", "100000")
    expect(fake.get_by_text("item 0", exact=True)).to_be_visible()
    # A jump to the end hands the rows' elements to the rows it shows (slots), and a focus
    # whose row went elsewhere goes back to the list.
    fake.get_by_role("listitem").first.evaluate("(row) => { row.tabIndex = -1; row.focus(); }")
    fake.evaluate("(el) => { for (const r of el.querySelectorAll('.vlist-row')) r.__old = 1; }")
    fake.evaluate("(el) => { el.scrollTop = el.scrollHeight; }")
    expect(fake.get_by_text("item 99999", exact=True)).to_be_visible()
    reused = fake.evaluate(
        "(el) => [...el.querySelectorAll('.vlist-row')].filter((r) => r.__old).length")
    assert reused >= 20, reused
    # (The window is not the desktop's active one, so the page's activeElement is read.)
    assert fake.evaluate("(el) => document.activeElement === el")
    rows = fake.get_by_role("listitem").count()
    assert 0 < rows <= 60, rows
    calls = app_page.evaluate("window.__fakeCalls")
    assert calls[0] == 0 and 99_900 in calls
    assert len(calls) <= 4, calls  # the first page and the last: never the 998 between
