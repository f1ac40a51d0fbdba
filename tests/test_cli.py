"""The `pajamas` command: the README lists every command, each answers --help, personas are
named by name or id everywhere, task commands start a core, and messages name commands."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pajamas.cli import build_parser
from pajamas.errors import CoreNotRunning
from pajamas.rpc import connection
from pajamas.rpc.client import Client
from tests.conftest import RunningCore, core_env
from tests.plugins.conftest import TEXT_STATS

ROOT = Path(__file__).resolve().parents[1]
Command = tuple[str, ...]


def commands(parser: argparse.ArgumentParser | None = None,
             prefix: Command = ()) -> Iterator[tuple[Command, argparse.ArgumentParser]]:
    """Every command of the argparse tree (the words that name it) with its parser."""
    parser = parser or build_parser()
    groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not groups:
        yield prefix, parser
    for group in groups:
        for name, child in group.choices.items():
            yield from commands(child, (*prefix, name))


def parsers(parser: argparse.ArgumentParser | None = None,
            prefix: Command = ()) -> Iterator[tuple[Command, argparse.ArgumentParser]]:
    """Every parser of the tree, the groups' (`pajamas plugin`) as well as the commands'."""
    parser = parser or build_parser()
    yield prefix, parser
    for group in parser._actions:
        if isinstance(group, argparse._SubParsersAction):
            for name, child in group.choices.items():
                yield from parsers(child, (*prefix, name))


def help_texts(parser: argparse.ArgumentParser) -> Iterator[str]:
    """What --help shows of parser: its description, its arguments' and subcommands' helps."""
    actions = [*parser._actions, *(choice for group in parser._actions
                                   if isinstance(group, argparse._SubParsersAction)
                                   for choice in group._choices_actions)]
    yield from (str(text) for text in [parser.description, *(a.help for a in actions)] if text)


def readme_commands() -> list[Command]:
    """The commands the README's "Using it" lists: the subcommand words of each example."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Using it", 1)[1].split("\n## ", 1)[0]
    tree = dict(commands())
    groups = {words[:i] for words in tree for i in range(1, len(words))}
    found = []
    for line in section.splitlines():
        match = re.match(r"\s+\.venv/bin/pajamas\b(.*)", line)
        if match is None:
            continue
        words: Command = ()
        for word in match.group(1).split("#", 1)[0].split():
            if (*words, word) not in tree and (*words, word) not in groups:
                break
            words = (*words, word)
        found.append(words)
    return found


def run(home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pajamas", *args], env=core_env(home),
                          capture_output=True, text=True, timeout=timeout)


def test_the_readme_lists_every_command_and_only_commands() -> None:
    listed = readme_commands()
    tree = [words for words, _ in commands()]
    assert [words for words in tree if words not in listed] == []
    assert [words for words in listed if words not in tree and words != ()] == []
    assert () in listed  # the window


def test_every_listed_command_answers_help(home: Path) -> None:
    listed = sorted(set(readme_commands()))

    def helped(words: Command) -> tuple[Command, int, str]:
        done = run(home, *words, "--help", timeout=60)
        return words, done.returncode, done.stdout

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(helped, listed))
    for words, code, out in answers:
        assert code == 0, words
        assert out.startswith(f"usage: pajamas {' '.join(words)}".rstrip()), (words, out)


def test_every_argument_naming_a_persona_takes_its_name_or_its_id() -> None:
    named = [(words, action.help) for words, parser in commands() for action in parser._actions
             if action.dest == "persona" or "persona's" in str(action.help)]
    assert len(named) >= 14, named
    assert [(words, text) for words, text in named if "name or id" not in str(text)] == []


def test_no_help_names_a_protocol_method(client: Client) -> None:
    names = sorted(item["name"] for item in client.call("system.methods")["items"])
    method = re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, names)) + r")\b")
    texts = [(words, str(text)) for words, parser in parsers() for text in help_texts(parser)]
    assert len(texts) > 100
    assert [(words, text) for words, text in texts if method.search(text)] == []


def test_commands_take_a_persona_by_name_or_id_and_say_what_to_type(
        core: RunningCore, client: Client, tmp_path: Path) -> None:
    ada = client.call("persona.create", {"name": "Ada"})["id"]
    client.call("plugin.install", {"path": str(TEXT_STATS)})
    home = core.home

    enabled = run(home, "plugin", "enable", "text-stats", "--persona", ada)
    assert enabled.returncode == 0 and enabled.stdout == "text-stats enabled for Ada\n"
    disabled = run(home, "plugin", "disable", "text-stats", "--persona", "ada")
    assert disabled.returncode == 0 and disabled.stdout == "text-stats disabled for Ada\n"
    card = tmp_path / "ada.json"
    exported = run(home, "persona", "export", ada, "-o", str(card))
    assert exported.returncode == 0, exported.stderr
    assert json.loads(card.read_text())["data"]["name"] == "Ada"

    nobody = run(home, "plugin", "enable", "text-stats", "--persona", "nobody")
    assert nobody.returncode == 2
    assert nobody.stderr == ("pajamas: no persona is named 'nobody' or has that id; "
                             "`pajamas persona list` shows them\n")
    refused = run(home, "plugin", "call", "Ada", "text-stats", "count", "--args", "{}")
    assert refused.returncode == 2
    assert refused.stderr == (f"pajamas: plugin 'text-stats' is not enabled for persona "
                              f"'{ada}'; enable it with `pajamas plugin enable text-stats "
                              f"--persona {ada}`\n")
    ghost = run(home, "plugin", "uninstall", "ghost")
    assert ghost.stderr == ("pajamas: no plugin named 'ghost' is installed; "
                            "`pajamas plugin list` shows them\n")


def test_task_commands_start_a_core_when_none_runs(home: Path) -> None:
    listed = run(home, "task", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == "0 of 0 tasks\n"
    for verb in ("cancel", "wait"):
        unknown = run(home, "task", verb, "t-nope")
        assert unknown.returncode == 2, unknown.stderr
        assert unknown.stderr.startswith("pajamas: no task 't-nope' (the core keeps"), verb
        assert unknown.stderr.endswith("; `pajamas task list` shows them\n"), verb
    with pytest.raises(CoreNotRunning):  # each command stopped the core it started
        connection.read(home)
