"""The library's query: persona.list's search, tag filter, favourites and sort, as SQL.

Every clause is built from fixed text; what the caller gives only ever travels as an argument.
Tags are a JSON list in `personas.tags`, matched with SQLite's json_each in any case.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from pajamas.errors import InvalidParams

# sort name -> (column, descending unless asked otherwise)
SORTS: Final[dict[str, tuple[str, bool]]] = {
    "name": ("name", False), "created": ("created_at", True),
    "last_used": ("last_used_at", True), "memories": ("memory_count", True),
}
# A tag is in the JSON list as its JSON string, quotes included: a LIKE over the short `tags`
# text (case-insensitive for ASCII) is several times faster than json_each on every row.
_HAS_TAG: Final = "tags LIKE ? ESCAPE '\\'"


@dataclass(frozen=True)
class Filter:
    """What persona.list asks for beyond a page."""

    query: str = ""
    tags_include: list[str] = field(default_factory=list)
    tags_exclude: list[str] = field(default_factory=list)
    favourite: bool | None = None

    def where(self) -> tuple[str, tuple[Any, ...]]:
        """The WHERE clause ("" for every persona) and its arguments."""
        clauses: list[str] = []
        args: list[Any] = []
        if self.query.strip():
            pattern = "%" + _escape(self.query.strip()) + "%"
            clauses.append("(name LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\' "
                           "OR tags LIKE ? ESCAPE '\\')")
            args += [pattern] * 3
        for tag in self.tags_include:
            clauses.append(_HAS_TAG)
            args.append(_tag_pattern(tag))
        for tag in self.tags_exclude:
            clauses.append("NOT " + _HAS_TAG)
            args.append(_tag_pattern(tag))
        if self.favourite is not None:
            clauses.append("favourite = ?")
            args.append(int(self.favourite))
        return ("WHERE " + " AND ".join(clauses) if clauses else ""), tuple(args)


def order_by(sort: str, descending: bool | None) -> str:
    """The ORDER BY clause: personas never counted or used come last either way; ties by name."""
    if sort not in SORTS:
        raise InvalidParams(f"sort is one of {', '.join(SORTS)}, not {sort!r}", field="sort")
    column, default = SORTS[sort]
    direction = "DESC" if (default if descending is None else descending) else "ASC"
    if column == "name":
        return f"ORDER BY name {direction}, id"
    return f"ORDER BY ({column} IS NULL), {column} {direction}, name, id"


def check_tag_list(field_name: str, tags: Any) -> list[str]:
    """A list of tags to filter by."""
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise InvalidParams(f"{field_name} must be a list of tags", field=field_name)
    return [tag.strip() for tag in tags if tag.strip()]


def _tag_pattern(tag: str) -> str:
    """The LIKE pattern of a tag as an element of the stored JSON list (json.dumps, ASCII)."""
    return "%" + _escape(json.dumps(tag)) + "%"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
