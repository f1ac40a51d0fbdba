"""Docs that can't drift: the README's two commands and example card, every method's and
setting's doc, and nothing outside the tests that needs what a clone does not have."""

from __future__ import annotations

import re
from pathlib import Path

from pajamas import config
from pajamas.rpc.client import Client

ROOT = Path(__file__).resolve().parents[1]


def test_readme_shows_the_two_commands_alone_on_their_lines() -> None:
    lines = [line.strip() for line in (ROOT / "README.md").read_text().splitlines()]
    assert "make run" in lines and "make test" in lines


def test_the_readme_imports_a_card_that_ships_with_the_project() -> None:
    imported = re.findall(r"pajamas persona import (\S+)", (ROOT / "README.md").read_text())
    assert imported and all((ROOT / path).is_file() for path in imported), imported


def test_only_the_tests_refer_to_the_shared_folder_or_to_issue_numbers() -> None:
    """A clone has no ../shared beside it, and a reader has no issue tracker to look up."""
    wanted = re.compile(r"\.\./shared|shared/data|issue #\d")
    files = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"),
             *(ROOT / "backend").rglob("*.py"), *(ROOT / "webui" / "src").rglob("*.js"),
             *(ROOT / "examples").rglob("*.py"), *(ROOT / "examples").rglob("*.md")]
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}" for path in files
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if wanted.search(line)]
    assert found == []


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_method_has_a_doc_with_a_first_sentence(client: Client) -> None:
    for method in client.call("system.methods")["items"]:
        first = method["doc"].splitlines()[0]
        assert re.match(r"^[A-Z].*\.", first), f"{method['name']}: {first!r}"


def test_every_setting_is_in_the_settings_listing() -> None:
    names = [info.name for info in config.declared()]
    assert len(names) == len(set(names))
    assert all(info.help for info in config.declared())


def test_every_test_the_security_page_names_exists() -> None:
    """docs/security.md proves each defence with a test: each one it names must be there."""
    text = (ROOT / "docs" / "security.md").read_text()
    named = re.findall(r"`(tests/[\w/]+\.(?:py|mjs))(?:::(\w+))?`", text)
    assert len(named) > 20
    for path, name in named:
        source = ROOT / path
        assert source.is_file(), f"docs/security.md names {path}, which does not exist"
        if name:
            assert re.search(rf"^(?:async )?def {name}\(", source.read_text(), re.M), (
                f"docs/security.md names {path}::{name}, which is not a test there")

