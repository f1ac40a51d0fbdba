"""The chat page in the real window, answered by the fake OpenAI server (tests/chat): open a
persona's chats, start one (the card's greeting), send and watch the reply stream, stop a long
one, regenerate (swipe 2/2), edit and delete, inspect the prompt, export and import; model
output that carries HTML or a javascript: link runs nothing; a 5,000-message conversation
keeps few rows in the DOM; the memories a reply used are shown with their text; a model's tool
call waits on a consent card (allow once, decline, always; the grant revoked), its record
shows on the reply, a slash command shows as a result block, and a conversation opened
mid-reply shows it being written."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from pajamas.perf.benchmarks.memory import model_folder
from tests.chat.conftest import CARD
from tests.chat.fake_openai import FakeOpenAI
from tests.plugins.conftest import TEXT_STATS

pytestmark = pytest.mark.e2e

SLOW_MS = 30_000
MODEL_MS = 120_000  # the first memory loads the embedding model on a busy machine


@pytest.fixture
def hub_settings(request: pytest.FixtureRequest) -> dict[str, str]:
    """No memory in the chat loop, unless a test asks for it (indirect parametrize)."""
    return dict(getattr(request, "param", {"PAJAMAS_CHAT_MEMORY": "0"}))


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    server.close()


def rpc(page: Page, method: str, params: dict[str, object]) -> object:
    return page.evaluate("""async ([method, params]) => {
        const { call } = await import("./src/bridge.js");
        return call(method, params);
    }""", [method, params])


def setup_chat(page: Page, fake: FakeOpenAI, card: dict[str, object] = CARD) -> str:
    """The card as a persona and the fake server as the default provider; the persona's id."""
    persona = rpc(page, "persona.import", {"card": card})
    assert isinstance(persona, dict)
    rpc(page, "provider.add", {"id": "fake", "base_url": fake.base_url, "model": "fake-model",
                               "context_tokens": 4096, "default": True})
    return str(persona["id"])


def open_chat(page: Page, persona: str, conversation: str = "") -> None:
    path = f"#/chat/{persona}" + (f"/{conversation}" if conversation else "")
    page.evaluate("(h) => { location.hash = h; }", path)


def messages(page: Page) -> Locator:
    return page.get_by_test_id("chat-message")


def last_reply(page: Page) -> Locator:
    return page.locator('[data-testid="chat-message"][data-role="assistant"]').last


def stub_file_dialogs(page: Page, chosen: list[dict[str, str]]) -> None:
    """The shell's native dialogs, replaced: save_file keeps what it was given, choose_files
    answers `chosen`."""
    page.evaluate("""(chosen) => {
        const api = window.pywebview.api;
        window.__saved = [];
        api.save_file = async (name, data) => {
            window.__saved.push({ name, data });
            return { ok: true, result: { path: "/tmp/" + name } };
        };
        api.choose_files = async () => ({ ok: true, result: chosen });
    }""", chosen)


def test_chat_journey(app_page: Page, fake: FakeOpenAI) -> None:
    page = app_page
    persona = setup_chat(page, fake)
    open_chat(page, persona)
    expect(page.get_by_test_id("chat-persona-name")).to_have_text("Aqua", timeout=SLOW_MS)

    # No conversation yet: "New chat" opens one with the card's greeting and its alternatives.
    page.get_by_test_id("chat-start").get_by_role("button", name="New chat").click()
    expect(page).to_have_url(re.compile(rf"#/chat/{persona}/[\w-]+$"), timeout=SLOW_MS)
    first = messages(page).first
    expect(first.get_by_test_id("chat-text")).to_have_text("Hi, I am Aqua!", timeout=SLOW_MS)
    expect(first.get_by_test_id("chat-swipe-count")).to_have_text("1/3")
    expect(page.get_by_test_id("chat-model")).to_have_text("fake-model")
    conversation = page.get_by_test_id("chat-conversation").get_attribute("data-conversation")
    assert conversation

    # Send with Enter; Shift+Enter is a new line. The reply streams in, then shows its usage.
    fake.mode = "hold"
    draft = page.get_by_role("textbox", name="Message")
    draft.fill("Hello")
    draft.press("Shift+Enter")
    draft.type("Aqua")
    draft.press("Enter")
    user = page.locator('[data-testid="chat-message"][data-role="user"]')
    expect(user.get_by_test_id("chat-text")).to_have_text("HelloAqua", timeout=SLOW_MS)
    expect(user.locator("br")).to_have_count(1)
    reply = last_reply(page)
    # "hold": the first word only, until released or stopped — the reply is mid-stream.
    expect(reply.get_by_test_id("chat-text")).to_have_text("Hello", timeout=SLOW_MS)
    expect(reply).to_have_attribute("aria-busy", "true")
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible()

    # Stop: the partial text is kept and says it was stopped.
    stop.click()
    expect(reply.get_by_test_id("chat-finish")).to_have_text("stopped", timeout=SLOW_MS)
    expect(reply.get_by_test_id("chat-text")).to_have_text("Hello")
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    stored = rpc(page, "chat.messages", {"conversation": conversation})
    assert isinstance(stored, dict)
    assert [m["text"] for m in stored["items"]][1:] == ["Hello\nAqua", "Hello"]

    # Regenerate: a second alternative, streamed, 2/2; back to the first.
    fake.mode = "ok"
    fake.words = ["Second", " answer", " with", " **bold**", "."]
    reply.hover()
    reply.get_by_role("button", name="Regenerate").click()
    expect(reply.get_by_test_id("chat-text")).to_have_text("Second answer with bold.",
                                                           timeout=SLOW_MS)
    expect(reply.locator("strong")).to_have_text("bold")  # Markdown, sanitized
    expect(reply.get_by_test_id("chat-swipe-count")).to_have_text("2/2")
    expect(reply.get_by_test_id("chat-usage")).to_contain_text("42 → 5 tokens")
    reply.get_by_role("button", name="Previous alternative").click()
    expect(reply.get_by_test_id("chat-swipe-count")).to_have_text("1/2", timeout=SLOW_MS)
    expect(reply.get_by_test_id("chat-text")).to_have_text("Hello")
    reply.get_by_role("button", name="Next alternative").click()
    expect(reply.get_by_test_id("chat-swipe-count")).to_have_text("2/2", timeout=SLOW_MS)

    # Edit the user's message in place.
    user_row = page.locator('[data-testid="chat-message"][data-role="user"]').last
    user_row.hover()
    user_row.get_by_role("button", name="Edit").click()
    user_row.get_by_role("textbox", name="Message text").fill("Good morning, Aqua")
    user_row.get_by_role("button", name="Save").click()
    expect(user_row.get_by_test_id("chat-text")).to_have_text("Good morning, Aqua",
                                                              timeout=SLOW_MS)

    # The prompt inspector: its sections with tokens, the total and the messages as text.
    draft.fill("What now?")
    page.get_by_test_id("chat-inspect").click()
    inspector = page.get_by_test_id("chat-inspector")
    expect(inspector.get_by_test_id("chat-prompt-total")).to_contain_text("of ", timeout=SLOW_MS)
    for name in ("system", "lorebook", "examples", "history", "post_history"):
        expect(inspector.locator(f'[data-section="{name}"] td.num')).to_have_text(
            re.compile(r"^\d+$"))
    sent = inspector.get_by_test_id("chat-prompt-message")
    expect(sent.filter(has_text="What now?")).to_have_count(1)
    expect(sent.filter(has_text="Good morning, Aqua")).to_have_count(1)
    inspector.get_by_role("button", name="Close the prompt inspector").click()
    expect(inspector).to_have_count(0)
    draft.fill("")

    # Delete the first greeting, asked first.
    greeting = messages(page).first
    greeting.hover()
    greeting.get_by_role("button", name="Delete").click()
    greeting.get_by_test_id("chat-msg-confirm-delete").click()
    expect(messages(page)).to_have_count(2, timeout=SLOW_MS)
    expect(messages(page).first.get_by_test_id("chat-text")).to_have_text("Good morning, Aqua")

    # Export (the native save dialog, stubbed) and import it again as a new conversation.
    stub_file_dialogs(page, [])
    page.get_by_test_id("chat-export").click()
    expect(page.get_by_test_id("toast").filter(has_text="Saved")).to_be_visible(timeout=SLOW_MS)
    saved = page.evaluate("window.__saved")
    assert saved[0]["name"].endswith(".jsonl")
    jsonl = base64.b64decode(saved[0]["data"]).decode()
    lines = [json.loads(line) for line in jsonl.splitlines()]
    assert [line["mes"] for line in lines[1:]] == ["Good morning, Aqua",
                                                   "Second answer with **bold**."]
    stub_file_dialogs(page, [{"name": "again.jsonl", "data": saved[0]["data"]}])
    page.get_by_test_id("chat-import").click()
    expect(page.get_by_test_id("chat-title")).to_contain_text("(imported)", timeout=SLOW_MS)
    expect(messages(page)).to_have_count(2, timeout=SLOW_MS)
    expect(page.get_by_test_id("chat-conv")).to_have_count(2)

    # Back returns to the first conversation.
    page.go_back()
    expect(page.get_by_test_id("chat-conversation")).to_have_attribute(
        "data-conversation", conversation, timeout=SLOW_MS)


HOSTILE = ('<img src=x onerror="window.__pwned = 1; window.pywebview.api.call(\'debug.echo\', {})">'
           " and [x](javascript:window.__pwned=2) and <script>window.__pwned=3</script>")


def test_model_output_cannot_run_script_or_reach_the_bridge(app_page: Page,
                                                            fake: FakeOpenAI) -> None:
    page = app_page
    persona = setup_chat(page, fake, {**CARD, "data": {**CARD["data"], "first_mes": HOSTILE}})
    conversation = rpc(page, "chat.create", {"persona": persona})
    assert isinstance(conversation, dict)
    page.evaluate("""() => {
        const api = window.pywebview.api;
        const call = api.call.bind(api);
        window.__methods = [];
        api.call = (method, params) => {
            window.__methods.push(method);
            return call(method, params);
        };
    }""")
    fake.words = [HOSTILE[:40], HOSTILE[40:]]
    open_chat(page, persona, str(conversation["id"]))
    draft = page.get_by_role("textbox", name="Message")
    draft.fill(HOSTILE)
    draft.press("Enter")
    expect(page.locator('[data-testid="chat-message"][data-role="assistant"]')).to_have_count(
        2, timeout=SLOW_MS)
    reply = last_reply(page)
    expect(reply.get_by_test_id("chat-usage")).to_be_visible(timeout=SLOW_MS)  # done
    log = page.get_by_test_id("chat-log")
    expect(log.get_by_test_id("chat-text")).to_have_count(3)
    # The link is there (as text or an inert link), clicking it runs nothing.
    link = reply.get_by_text("x", exact=True)
    if link.count():
        link.first.click()
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    found = page.evaluate("""() => ({
        pwned: window.__pwned ?? null,
        handlers: document.querySelectorAll(
            '[data-testid="chat-log"] [onerror], [data-testid="chat-log"] script').length,
        js: [...document.querySelectorAll('[data-testid="chat-log"] a')]
              .filter((a) => /^\\s*javascript:/i.test(a.getAttribute("href") ?? "")).length,
        methods: window.__methods,
    })""")
    assert found["pwned"] is None
    assert found["handlers"] == 0
    assert found["js"] == 0
    assert "debug.echo" not in found["methods"]
    assert "chat.send" in found["methods"]


def test_a_long_conversation_scrolls_with_few_rows_in_the_dom(app_page: Page,
                                                             fake: FakeOpenAI) -> None:
    page = app_page
    persona = setup_chat(page, fake)
    header = {"user_name": "User", "character_name": "Aqua", "create_date": "2024-01-15@12h30m45s",
              "chat_metadata": {}}
    rows = [{"name": "User" if n % 2 == 0 else "Aqua", "is_user": n % 2 == 0,
             "send_date": 1_700_000_000_000 + n * 1000,
             "mes": f"message number {n}" + ("\n\nwith a second paragraph" if n % 3 == 0 else "")}
            for n in range(5000)]
    jsonl = "\n".join(json.dumps(r) for r in [header, *rows]) + "\n"
    conversation = rpc(page, "chat.import", {"persona": persona, "jsonl": jsonl})
    assert isinstance(conversation, dict)
    open_chat(page, persona, str(conversation["id"]))
    log = page.get_by_test_id("chat-log")
    expect(log).to_have_attribute("data-count", "5000", timeout=SLOW_MS)
    # It opens at the end: the last message is in view.
    expect(log.locator('[data-message] [data-testid="chat-text"]', has_text="message number 4999")
           ).to_be_visible(timeout=SLOW_MS)
    assert log.locator(".vlist-row").count() <= 40
    # Scrolled to the top, the first page is fetched; still few rows. A render that comes
    # between the scroll and its scroll event (here a keystroke's, in the same task) does not
    # take the view back to the end.
    log.evaluate("""(el) => {
        el.scrollTop = 0;
        const draft = document.getElementById("chat-draft");
        draft.value = "x";
        draft.dispatchEvent(new Event("input", { bubbles: true }));
    }""")
    expect(log.get_by_text("message number 0", exact=True)).to_be_visible(timeout=SLOW_MS)
    assert log.locator(".vlist-row").count() <= 40
    # Sending goes to the end; scrolled up while the reply streams, the view stays there
    # until "Latest".
    fake.mode = "hold"
    page.get_by_role("textbox", name="Message").fill("Still there?")
    page.get_by_role("textbox", name="Message").press("Enter")
    expect(log).to_have_attribute("data-count", "5002", timeout=SLOW_MS)
    reply = last_reply(page)
    expect(reply.get_by_test_id("chat-text")).to_have_text("Hello", timeout=SLOW_MS)
    log.evaluate("(el) => { el.scrollTop = 0; }")
    expect(log.get_by_text("message number 0", exact=True)).to_be_visible(timeout=SLOW_MS)
    fake.release.set()
    expect(page.get_by_role("button", name="Send")).to_be_visible(timeout=SLOW_MS)
    expect(log.get_by_text("message number 0", exact=True)).to_be_visible()
    page.get_by_role("button", name="↓ Latest").click()
    expect(last_reply(page).get_by_test_id("chat-usage")).to_be_visible(timeout=SLOW_MS)
    assert log.locator(".vlist-row").count() <= 40


MEMORY_ON = {"PAJAMAS_EMBEDDING_MODEL_DIR": str(model_folder())}


@pytest.mark.parametrize("hub_settings", [MEMORY_ON], indirect=True)
def test_a_reply_shows_the_memories_its_prompt_used(app_page: Page, fake: FakeOpenAI) -> None:
    page = app_page
    persona = setup_chat(page, fake)
    page.evaluate("""async (persona) => {
        const { call } = await import("./src/bridge.js");
        await call("memory.add", { persona, text: "The traveller loves blue lakes." });
        await call("memory.search", { persona, query: "lakes" });
    }""", persona)
    # A prompt uses memories once the model is loaded and the store open (a prompt does not
    # wait for them): the search above waits for both.
    conversation = rpc(page, "chat.create", {"persona": persona})
    assert isinstance(conversation, dict)
    open_chat(page, persona, str(conversation["id"]))
    draft = page.get_by_role("textbox", name="Message")
    draft.fill("Do you remember the lakes?")
    draft.press("Enter")
    remembered = last_reply(page).get_by_test_id("chat-remembered")
    expect(remembered).to_contain_text("remembered: ", timeout=MODEL_MS)
    remembered.locator("summary").click()
    expect(remembered.get_by_test_id("chat-memory").first).to_have_text(
        "The traveller loves blue lakes.", timeout=SLOW_MS)
    expect(remembered.get_by_role("link")).to_have_attribute("href", f"#/memory/{persona}")


def test_picker_providers_rename_and_a_failed_reply(app_page: Page, fake: FakeOpenAI) -> None:
    page = app_page
    persona = rpc(page, "persona.import", {"card": CARD})
    assert isinstance(persona, dict)
    page.evaluate("location.hash = '#/chat'")
    page.get_by_role("searchbox", name="Search personas").fill("aqu")
    page.get_by_role("link", name="Chat with Aqua").click()
    expect(page).to_have_url(re.compile(rf"#/chat/{persona['id']}$"), timeout=SLOW_MS)

    # Providers: added with a key that is never shown again, tested, made the default.
    page.get_by_test_id("chat-providers-open").click()
    dialog = page.get_by_role("dialog", name="Model providers")
    dialog.get_by_test_id("chat-provider-add").click()
    form = dialog.get_by_test_id("chat-provider-form")
    form.get_by_role("textbox", name="Id").fill("fake")
    form.get_by_role("textbox", name="Address (base URL)").fill("ftp://nowhere")
    form.get_by_role("button", name="Save").click()
    expect(form.get_by_role("alert")).to_contain_text("http(s) URL")
    form.get_by_role("textbox", name="Address (base URL)").fill(fake.base_url)
    form.get_by_role("textbox", name="Model").fill("fake-model")
    form.get_by_label("API key").fill("sk-secret")
    form.get_by_role("checkbox", name="The default provider").check()
    form.get_by_role("checkbox", name=re.compile("^Tool calls")).check()
    form.get_by_role("button", name="Save").click()
    row = dialog.locator('[data-provider="fake"]')
    expect(row.get_by_test_id("chat-provider-key")).to_have_text("key set", timeout=SLOW_MS)
    expect(row).to_contain_text("default")
    expect(row.get_by_test_id("chat-provider-tools")).to_have_text("tools")
    embedded = dialog.locator('[data-provider="embedded"]')
    expect(embedded.get_by_role("checkbox", name="Tool calls")).to_be_disabled()
    expect(embedded).to_contain_text("the embedded model takes none")
    assert "sk-secret" not in dialog.inner_text()
    row.get_by_role("button", name="Test fake").click()
    expect(row.get_by_test_id("chat-provider-test")).to_contain_text("models: fake-model",
                                                                     timeout=SLOW_MS)
    row.get_by_role("button", name="Edit fake").click()
    expect(dialog.get_by_label("API key")).to_have_value("")
    expect(dialog.get_by_label("API key")).to_have_attribute("placeholder", re.compile("key set"))
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    # A new chat, renamed in the list.
    page.get_by_test_id("chat-start").get_by_role("button", name="New chat").click()
    expect(page.get_by_test_id("chat-title")).to_have_text("Chat with Aqua", timeout=SLOW_MS)
    side = page.get_by_test_id("chat-side")
    side.get_by_test_id("chat-conv").hover()
    side.get_by_role("button", name="Rename “Chat with Aqua”").click()
    side.get_by_role("textbox", name="Conversation title").fill("At the guild")
    side.get_by_role("textbox", name="Conversation title").press("Enter")
    expect(side.get_by_test_id("chat-conv")).to_contain_text("At the guild", timeout=SLOW_MS)

    # A reply whose server fails says so, with what to do.
    fake.mode = "500"
    draft = page.get_by_role("textbox", name="Message")
    draft.fill("Hello?")
    draft.press("Enter")
    reply = last_reply(page)
    expect(reply.get_by_test_id("chat-finish")).to_have_text("failed", timeout=SLOW_MS)
    expect(reply.get_by_test_id("chat-error")).to_contain_text("Check the provider")
    expect(reply.get_by_role("button", name="Model providers…")).to_be_visible()


def tool_round(call: str, text: str) -> list[dict[str, str]]:
    return [{"id": call, "name": "text-stats__count", "arguments": json.dumps({"text": text})}]


def say(page: Page, text: str) -> None:
    draft = page.get_by_role("textbox", name="Message")
    draft.fill(text)
    draft.press("Enter")


def test_tool_calls_ask_first_and_show_their_records_and_commands_their_results(
        app_page: Page, fake: FakeOpenAI) -> None:
    page = app_page
    persona = setup_chat(page, fake)
    rpc(page, "provider.update", {"id": "fake", "tools": True})
    rpc(page, "plugin.install", {"path": str(TEXT_STATS)})
    rpc(page, "plugin.enable", {"persona": persona, "name": "text-stats"})
    made = rpc(page, "chat.create", {"persona": persona})
    assert isinstance(made, dict)
    conversation = str(made["id"])
    open_chat(page, persona, conversation)
    expect(messages(page)).to_have_count(1, timeout=SLOW_MS)

    # The model asks for a call: a card names the plugin, the function and the arguments
    # (model output: shown as text, never as HTML); Allow once, by keyboard.
    fake.tool_rounds = [tool_round("call_1", "One two. <b>Three</b>.")]
    say(page, "Count my words")
    card = page.get_by_role("group", name="Tool call waiting for your decision")
    expect(card).to_be_visible(timeout=SLOW_MS)
    expect(card.get_by_test_id("chat-consent-plugin")).to_have_text("text-stats")
    expect(card.get_by_test_id("chat-consent-function")).to_have_text("count")
    expect(card.get_by_test_id("chat-consent-arguments")).to_have_text(
        '{\n  "text": "One two. <b>Three</b>."\n}')
    expect(card.locator("b", has_text="Three")).to_have_count(0)
    expect(last_reply(page).get_by_test_id("chat-waiting")).to_be_visible()
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    card.get_by_role("button", name="Allow once").focus()
    page.keyboard.press("Enter")
    expect(card).to_have_count(0, timeout=SLOW_MS)
    reply = last_reply(page)
    expect(reply.get_by_test_id("chat-text")).to_have_text("Hello there, friend.", timeout=SLOW_MS)
    tool = reply.get_by_test_id("chat-tool")
    expect(tool.get_by_test_id("chat-tool-decision")).to_have_text("allowed once")
    tool.locator("summary").click()
    expect(tool.get_by_test_id("chat-tool-output")).to_contain_text("words5sentences2")
    expect(tool.get_by_test_id("chat-tool-arguments")).to_contain_text("<b>Three</b>")

    # A second call, declined: the record says so, nothing ran.
    fake.tool_rounds = [tool_round("call_2", "Four five.")]
    say(page, "And these?")
    card.get_by_role("button", name="Decline").click(timeout=SLOW_MS)
    reply = last_reply(page)
    expect(reply.get_by_test_id("chat-tool-decision")).to_have_text("declined", timeout=SLOW_MS)
    expect(reply.get_by_test_id("chat-usage")).to_be_visible(timeout=SLOW_MS)

    # A third, always allowed: a grant for the persona, listed and revoked.
    fake.tool_rounds = [tool_round("call_3", "Six.")]
    say(page, "Once more")
    card.get_by_role("button", name="Always allow for this persona").click(timeout=SLOW_MS)
    expect(last_reply(page).get_by_test_id("chat-tool-decision")).to_have_text(
        "always allowed", timeout=SLOW_MS)
    expect(page.get_by_role("button", name="Send")).to_be_visible(timeout=SLOW_MS)
    page.get_by_role("button", name="Allowed plugins").click()
    grants = page.get_by_role("dialog", name="Allowed plugins")
    expect(grants.get_by_test_id("chat-grant")).to_have_text(re.compile("text-stats"),
                                                              timeout=SLOW_MS)
    grants.get_by_role("button", name="Revoke text-stats").click()
    expect(grants.get_by_test_id("chat-grants-empty")).to_be_visible(timeout=SLOW_MS)
    page.keyboard.press("Escape")
    expect(grants).to_have_count(0)

    # A slash command: its result as a block, not as raw text.
    say(page, '/stats {"text": "a b c"}')
    block = page.get_by_test_id("chat-command")
    expect(block.get_by_test_id("chat-command-title")).to_have_text("/text-stats count",
                                                                    timeout=SLOW_MS)
    expect(block.get_by_test_id("chat-command-output")).to_contain_text("words3")
    expect(block.get_by_test_id("chat-command-arguments")).to_contain_text('"a b c"')

    # Another client's new conversation appears in the list (chat.changed).
    rpc(page, "chat.create", {"persona": persona, "title": "From elsewhere"})
    expect(page.get_by_test_id("chat-conv").filter(has_text="From elsewhere")).to_have_count(
        1, timeout=SLOW_MS)

    # Opened mid-reply: the reply shows as being written and Send waits for it.
    page.evaluate("location.hash = '#/status'")
    fake.mode = "hold"
    sent = rpc(page, "chat.send", {"conversation": conversation, "text": "Are you there?"})
    assert isinstance(sent, dict)
    open_chat(page, persona, conversation)
    writing = page.locator(f'[data-testid="chat-message"][data-message="{sent["reply"]}"]')
    expect(writing).to_have_attribute("aria-busy", "true", timeout=SLOW_MS)
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    expect(page.get_by_role("button", name="Send")).to_have_count(0)

    # Stopped, then opened again: "stopped" comes from the stored ending.
    page.get_by_role("button", name="Stop").click()
    expect(writing.get_by_test_id("chat-finish")).to_have_text("stopped", timeout=SLOW_MS)
    page.evaluate("location.hash = '#/status'")
    open_chat(page, persona, conversation)
    expect(writing.get_by_test_id("chat-finish")).to_have_text("stopped", timeout=SLOW_MS)
    expect(page.get_by_role("button", name="Send")).to_be_visible()
