"""Messages name no protocol method; a hint in the error's data does, which the CLI words."""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterator
from pathlib import Path

from pajamas import errors
from pajamas.errors import NotFound, from_wire
from pajamas.hints import COMMANDS, cli_message, describe
from pajamas.rpc.client import Client

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "backend" / "pajamas"


def test_the_cli_words_a_hint_as_the_command_that_does_it() -> None:
    error = from_wire({"code": "forbidden", "message": "plugin 'dice' is not enabled for "
                       "persona 'p1'", "data": {"persona": "p1", "plugin": "dice",
                                                "hint": "plugin.enable"}})
    assert describe(error) == ("plugin 'dice' is not enabled for persona 'p1'; enable it with "
                               "`pajamas plugin enable dice --persona p1`")
    missing = NotFound("a perf run is already running", hint="task.cancel")
    assert describe(missing).endswith("`pajamas task wait TASK` or cancel it with "
                                      "`pajamas task cancel TASK`")
    broken = NotFound("memory is unavailable", hint="system.health")
    assert describe(broken, Path("/h")).endswith("; the core's log, /h/logs/core.log, has "
                                                 "the details")


def test_a_message_without_a_hint_the_cli_knows_is_left_as_it_is() -> None:
    assert cli_message("no such thing", None) == "no such thing"
    assert cli_message("no such thing", {"hint": "future.method"}) == "no such thing"
    assert cli_message("no such thing", {"hint": 3}) == "no such thing"
    assert describe(NotFound("gone", persona="p")) == "gone"


def test_no_message_names_a_protocol_method(client: Client) -> None:
    names = {item["name"] for item in client.call("system.methods")["items"]}
    method = re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, sorted(names))) + r")\b")
    named = [f"{where}: {text!r}" for where, text in exception_messages()
             if method.search(text)]
    assert named == []


def test_every_hint_is_a_method_and_the_cli_words_each(client: Client) -> None:
    names = {item["name"] for item in client.call("system.methods")["items"]}
    hints = {hint for _, hint in hints_given()}
    assert len(hints) >= 8, hints  # the scan finds them
    assert hints <= set(COMMANDS), hints - set(COMMANDS)
    assert set(COMMANDS) <= names, set(COMMANDS) - names
    assert [words for words in COMMANDS.values() if method_in(words, names)] == []


def method_in(text: str, names: set[str]) -> bool:
    return any(re.search(rf"(?<![\w.]){re.escape(name)}\b", text) for name in names)


def exception_messages() -> Iterator[tuple[str, str]]:
    """(file:line, text) of every message an exception of the package is made with."""
    classes = error_classes()
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called(node.func) in classes and node.args:
                text = "".join(_literal(node.args[0]))
                if text:
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", text


def hints_given() -> Iterator[tuple[str, str]]:
    """(file:line, hint) of every `hint="..."` the package passes."""
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "hint":
                assert isinstance(node.value, ast.Constant), f"{path}:{node.value.lineno}"
                yield f"{path.relative_to(ROOT)}:{node.value.lineno}", str(node.value.value)


def error_classes() -> set[str]:
    """Every exception class the package raises: built-in ones, and the hub's tree."""
    names = {name for name, value in vars(errors).items()
             if isinstance(value, type) and issubclass(value, BaseException)}
    names |= {name for name, value in vars(builtins).items()
              if isinstance(value, type) and issubclass(value, BaseException)}
    defined = [node for _, tree in _modules() for node in ast.walk(tree)
               if isinstance(node, ast.ClassDef)]
    while True:  # classes defined on the hub's errors, in any module, to a fixed point
        more = {node.name for node in defined if node.name not in names
                and any(_called(base) in names for base in node.bases)}
        if not more:
            return names
        names |= more


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _called(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _literal(node: ast.expr) -> Iterator[str]:
    """The literal text of a message: constants, f-strings' fixed parts, concatenations."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        for part in node.values:
            yield part.value if isinstance(part, ast.Constant) else "{}"
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        yield from _literal(node.left)
        yield from _literal(node.right)
