"""What full-text search sees of a memory: its context (what came before it), then its text.

A chat turn's meaning depends on the turns before it ("Yes, every Sunday!" answers a question
about church).  `memory.add` therefore takes an optional `context`: the table's `search_text`
column holds context and text, and the full-text index covers that column, while the memory
still shows (and embeds) only its own text.  On LoCoMo, indexing each turn with the two turns
before it in its session lifted text recall@10 from 0.63 to 0.72 and hybrid from 0.66 to 0.74
(both halves of the data set alike).  Tables made before the column existed keep indexing
`text` and are searched as before.

The hub builds that context itself for a memory given a `thread` and no context: the
`CONTEXT_TURNS` memories added before it to its thread (threads.py).  The text line also
carries the date of `at` ("[8 May 2023] text", UTC), so that words of a date find it, and the
vector is the embedding of that dated line (`dated`): on LoCoMo, stored as plain turns with
their session and date, hybrid recall@10 went from 0.735 to 0.743 with it (vector alone from
0.447 to 0.480), as the date of a question's "when" meets the date of the turn.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

import pyarrow as pa  # type: ignore[import-untyped]

from pajamas.memory.dates import day

SEARCH_TEXT: Final = "search_text"
TEXT: Final = "text"
CONTEXT_TURNS: Final = 2  # a thread's memories before a memory that are its context
_DAY_TAG: Final = re.compile(r"\[[^\]\n]*\] $")  # what `search_text` puts before the text


def search_text(text: str, context: str | None, when: str | None = None) -> str:
    """The text full-text search indexes: context, a line break, then "[when] text"."""
    line = f"[{when}] {text}" if when else text
    return f"{context}\n{line}" if context else line


def context_of(indexed: str | None, text: str) -> str | None:
    """The context a memory was indexed with (None when it had none)."""
    if not indexed or not indexed.endswith(text):
        return None
    head = _DAY_TAG.sub("", indexed[:-len(text)])
    return head[:-1] or None if head.endswith("\n") else None


def searchable(schema: pa.Schema) -> pa.Schema:
    """schema with the search_text column (new tables have it; older ones may not)."""
    if SEARCH_TEXT in schema.names:
        return schema
    return schema.insert(schema.get_field_index(TEXT) + 1,
                         pa.field(SEARCH_TEXT, pa.string(), nullable=False))


def fts_column(schema: pa.Schema) -> str:
    """The column a table's full-text index covers: search_text when it has one, else text."""
    return SEARCH_TEXT if SEARCH_TEXT in schema.names else TEXT


def with_search_text(columns: dict[str, Any], schema: pa.Schema,
                     contexts: Sequence[str | None] | None = None) -> dict[str, Any]:
    """columns plus the search_text column, when schema has it and columns do not (each
    text with its context and, when columns have `at`, its date)."""
    if SEARCH_TEXT not in schema.names or SEARCH_TEXT in columns:
        return columns
    texts = _values(columns[TEXT])
    given = contexts or [None] * len(texts)
    whens = ([day(at) for at in _values(columns["at"])] if "at" in columns
             else [None] * len(texts))
    return columns | {SEARCH_TEXT: [search_text(t, c, w) for t, c, w in zip(
        texts, given, whens, strict=True)]}


def _values(column: Any) -> list[Any]:
    values: list[Any] = (column.to_pylist() if isinstance(column, pa.ChunkedArray | pa.Array)
                         else column)
    return values
