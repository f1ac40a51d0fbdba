"""docs/protocol.md read as data: its tables, apart for what the core serves and what not yet.

A table is found by the first cell of its header (`method`, `code`, `topic`); a cell is split
on `|` that is not escaped.  In a method's params cell, every name in backticks is a param and
a trailing `?` marks it optional, so the cell must put nothing else in backticks but values
in quotes (`"hybrid"`) or with other characters (`<home>/backups/...`).
"""

from __future__ import annotations

import re
from typing import Final

from tests.conftest import ROOT

DOC: Final = ROOT / "docs" / "protocol.md"
NOT_YET: Final = "\n## Not yet served by this core\n"
_CELL: Final = re.compile(r"(?<!\\)\|")
_NAME: Final = re.compile(r"^`([a-z_]+(?:\.[a-z_]+)*)`$")
_PARAM: Final = re.compile(r"`([a-z_]+)(\?)?`")


def text() -> str:
    """The whole page."""
    return DOC.read_text(encoding="utf-8")


def served() -> str:
    """The page up to "Not yet served by this core": what the core serves today."""
    page = text()
    assert NOT_YET in page, f"{DOC} lost its section{NOT_YET.strip()!r}"
    return page.split(NOT_YET, 1)[0]


def coming() -> str:
    """The section "Not yet served by this core"."""
    return text().split(NOT_YET, 1)[1]


def rows(part: str, header: str) -> list[list[str]]:
    """The cells of every row of the tables in part whose header's first cell is header."""
    found: list[list[str]] = []
    inside = False
    for line in part.splitlines():
        if not line.startswith("|"):
            inside = False
            continue
        cells = [cell.strip() for cell in _CELL.split(line.strip())[1:-1]]
        if cells and cells[0] == header:
            inside = True
        elif inside and not set(cells[0]) <= {"-", ":"}:
            found.append(cells)
    return found


def names(part: str, header: str) -> list[str]:
    """The first cells of those rows, out of their backticks."""
    return [_name(cells[0]) for cells in rows(part, header)]


def methods(part: str) -> dict[str, dict[str, bool]]:
    """Each method in part's method tables: its params, True when required."""
    found: dict[str, dict[str, bool]] = {}
    for cells in rows(part, "method"):
        name = _name(cells[0])
        assert name not in found, f"{name} is in the tables twice"
        found[name] = {param: not optional for param, optional in _PARAM.findall(cells[1])}
    return found


def _name(cell: str) -> str:
    match = _NAME.match(cell)
    assert match, f"a row must start with one `name` in backticks, not {cell!r}"
    return match[1]
