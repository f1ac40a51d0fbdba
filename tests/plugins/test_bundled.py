"""The bundled plugins (plugins/), through RPC and from a terminal, on a real core."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from pajamas.errors import PluginFailed
from pajamas.rpc.client import Client
from tests.conftest import RunningCore, core_env
from tests.plugins.running import BUNDLED, SAMPLE, SAMPLE_COUNT, call, install, plugin_core

PAGE = """<!doctype html><html><head><title> The  Lake </title><style>p {color: red}</style>
<script>alert("no")</script></head><body><h1>Walks</h1><p>We walked to the lake &amp; back.</p>
<ul><li>ducks</li><li>herons</li></ul></body></html>"""


@dataclass
class Hub:
    """The module's core and client, with every bundled plugin enabled for Ada."""

    core: RunningCore
    client: Client
    ada: str
    bob: str


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A core with the bundled plugins installed; all enabled for Ada, memory-journal for Bob."""
    home = tmp_path_factory.mktemp("bundled") / "home"
    home.mkdir()
    with plugin_core(home) as core, core.client(timeout=60) as client:
        ada = client.call("persona.create", {"name": "Ada"})["id"]
        bob = client.call("persona.create", {"name": "Bob"})["id"]
        for name in ("text-stats", "calculator", "memory-journal", "web-fetch"):
            install(client, BUNDLED / name, ada)
        client.call("plugin.enable", {"persona": bob, "name": "memory-journal"})
        yield Hub(core, client, ada, bob)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of an http.server on 127.0.0.1 serving a page and a text file."""
    root = tmp_path_factory.mktemp("site")
    (root / "lake.html").write_text(PAGE, encoding="utf-8")
    (root / "notes.txt").write_text("plain words\n", encoding="utf-8")
    handler = partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test's output clean."""


def run(hub: Hub, name: str, function: str, args: dict[str, Any] | None = None,
        persona: str | None = None) -> Any:
    """The result of calling the bundled plugin's function (for Ada unless told)."""
    return call(hub.client, persona or hub.ada, name, function, args)["result"]


def refused(hub: Hub, name: str, function: str, args: dict[str, Any],
            then: dict[str, Any]) -> PluginFailed:
    """The error of a call that must fail; then a call (args `then`) that must succeed.

    The success resets the persona's failures in a row, which otherwise disable a plugin
    after `plugin_max_failures` (3) refusals of bad input.
    """
    with pytest.raises(PluginFailed) as caught:
        run(hub, name, function, args)
    run(hub, name, function, then)
    assert caught.value.data["reason"] == "exception", caught.value.data
    return caught.value


def test_text_stats_counts_and_reports_its_usage(hub: Hub) -> None:
    reply = call(hub.client, hub.ada, "text-stats", "count", {"text": SAMPLE})
    assert reply["result"] == SAMPLE_COUNT
    assert set(reply["usage"]) == {"cpu_s", "wall_s", "peak_rss"}
    assert reply["usage"]["peak_rss"] > 0


def test_calculator_evaluates_arithmetic(hub: Hub) -> None:
    assert run(hub, "calculator", "evaluate", {"expression": "2 * (3 + 4) ** 2"}) == {
        "expression": "2 * (3 + 4) ** 2", "value": 98, "text": "98"}
    assert run(hub, "calculator", "evaluate", {"expression": "-7 // 2 + 7 % 3"})["value"] == -3
    assert run(hub, "calculator", "evaluate",
               {"expression": "sqrt(16) + log(8, 2) + floor(pi)"})["value"] == 10.0
    big = run(hub, "calculator", "evaluate", {"expression": "2 ** 100"})
    assert big["text"] == str(2**100) and big["value"] == float(2**100)
    assert "factorial" in run(hub, "calculator", "names")["functions"]


@pytest.mark.parametrize(("expression", "why"), [
    ("__import__('os').system('id')", "only the listed functions"),
    ("x + 1", "unknown name 'x'"),
    ("2 ^ 3", "use ** for powers"),
    ("9 ** 9 ** 9", "digits; the most is about 3010"),
    ("1 / 0", "division by zero"),
    ("1e308 * 10", "not a finite real number"),
    ("(1).real", "Attribute is not allowed"),
    ("1 +", "is not an arithmetic expression"),
    ("1" * 1001, "the most is 1000"),
])
def test_calculator_refuses_what_it_cannot_or_should_not_compute(hub: Hub, expression: str,
                                                                 why: str) -> None:
    error = refused(hub, "calculator", "evaluate", {"expression": expression},
                    then={"expression": "1 + 1"})
    assert error.data["exception"] == "CalcError"
    assert why in error.data["message"]


def test_memory_journal_saves_and_lists_a_day(hub: Hub) -> None:
    hub.client.call("memory.add", {"persona": hub.ada, "text": "Ordinary memory, not a note."})
    first = run(hub, "memory-journal", "save", {"text": "Walked to the lake.",
                                                "day": "2026-11-21"})
    second = run(hub, "memory-journal", "save", {"text": "Saw two herons.",
                                                 "day": "2026-11-21"})
    other = run(hub, "memory-journal", "save", {"text": "Rain all day.", "day": "2026-11-22"})
    assert first["day"] == "2026-11-21" and first["text"] == "Walked to the lake."
    listed = run(hub, "memory-journal", "day", {"day": "2026-11-21"})
    assert listed["day"] == "2026-11-21"
    assert [(n["id"], n["text"]) for n in listed["notes"]] == [
        (first["id"], "Walked to the lake."), (second["id"], "Saw two herons.")]
    stored = hub.client.call("memory.get", {"persona": hub.ada, "id": other["id"]})
    assert stored["metadata"] == {"kind": "journal", "day": "2026-11-22"}
    assert stored["text"] == "Journal 2026-11-22: Rain all day."
    found = run(hub, "memory-journal", "search", {"query": "herons", "limit": 3})["notes"]
    assert found[0]["id"] == second["id"] and found[0]["day"] == "2026-11-21"
    assert all(note["id"] in {first["id"], second["id"], other["id"]} for note in found)


def test_memory_journal_defaults_to_today_and_stays_with_its_persona(hub: Hub) -> None:
    saved = run(hub, "memory-journal", "save", {"text": "Bob's own note."}, persona=hub.bob)
    assert len(saved["day"]) == 10
    assert run(hub, "memory-journal", "day", {"day": saved["day"]},
               persona=hub.bob)["notes"][0]["text"] == "Bob's own note."
    ada_notes = run(hub, "memory-journal", "day", {"day": saved["day"]})["notes"]
    assert all(note["text"] != "Bob's own note." for note in ada_notes)


@pytest.mark.parametrize("day", ["21-11-2026", "2026-02-30", "tomorrow"])
def test_memory_journal_refuses_a_bad_day(hub: Hub, day: str) -> None:
    error = refused(hub, "memory-journal", "save", {"text": "x", "day": day},
                    then={"text": "A fine note.", "day": "2026-01-01"})
    assert "day" in error.data["message"] and day in error.data["message"]


def test_web_fetch_returns_a_pages_title_and_text(hub: Hub, site: str) -> None:
    page = run(hub, "web-fetch", "fetch", {"url": f"{site}/lake.html"})
    assert page["status"] == 200 and page["url"] == f"{site}/lake.html"
    assert page["title"] == "The Lake"
    assert page["text"] == "Walks\nWe walked to the lake & back.\nducks\nherons"
    assert page["truncated"] is False and page["content_type"] == "text/html"
    text = run(hub, "web-fetch", "fetch", {"url": f"{site}/notes.txt"})
    assert (text["title"], text["text"]) == ("", "plain words\n")
    cut = run(hub, "web-fetch", "fetch", {"url": f"{site}/notes.txt", "max_bytes": 5})
    assert cut["text"] == "plain" and cut["truncated"] is True


def test_web_fetch_reports_a_missing_page_and_refuses_other_schemes(hub: Hub,
                                                                     site: str) -> None:
    assert run(hub, "web-fetch", "fetch", {"url": f"{site}/absent.html"})["status"] == 404
    good = {"url": f"{site}/notes.txt"}
    scheme = refused(hub, "web-fetch", "fetch", {"url": "file:///etc/passwd"}, then=good)
    assert "only http and https" in scheme.data["message"]
    closed = refused(hub, "web-fetch", "fetch", {"url": "http://127.0.0.1:9/"}, then=good)
    assert closed.data["exception"] == "ConnectionError"


def test_the_cli_installs_enables_calls_and_shows_status(tmp_path: Path, site: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with plugin_core(home) as core:
        with core.client() as client:
            ada = client.call("persona.create", {"name": "Ada"})["id"]
        for name in ("calculator", "memory-journal", "web-fetch"):
            assert f"installed {name} 1.0.0" in _pajamas(core, "plugin", "install",
                                                         str(BUNDLED / name))
            _pajamas(core, "plugin", "enable", name, "--persona", "Ada")
        assert _call(core, "calculator", "evaluate", {"expression": "6 * 7"}) == {
            "expression": "6 * 7", "value": 42, "text": "42"}
        saved = _call(core, "memory-journal", "save", {"text": "From a terminal.",
                                                       "day": "2026-11-20"})
        listed = _call(core, "memory-journal", "day", {"day": "2026-11-20"})
        assert [(n["id"], n["text"]) for n in listed["notes"]] == [
            (saved["id"], "From a terminal.")]
        assert _call(core, "web-fetch", "fetch", {"url": f"{site}/lake.html"})["title"] == \
            "The Lake"
        rows = [line.split("\t") for line in _pajamas(core, "plugin", "status").splitlines()]
    assert rows[0][:4] == ["plugin", "persona", "pid", "state"]
    assert sorted((r[0], r[1], r[3]) for r in rows[1:]) == [
        (name, ada, "idle") for name in ("calculator", "memory-journal", "web-fetch")]


def _call(core: RunningCore, name: str, function: str, args: dict[str, Any]) -> Any:
    """`pajamas plugin call Ada ...`'s printed JSON."""
    return json.loads(_pajamas(core, "plugin", "call", "Ada", name, function, "--args",
                               json.dumps(args)))


def _pajamas(core: RunningCore, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "pajamas", *args], env=core_env(core.home),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout
