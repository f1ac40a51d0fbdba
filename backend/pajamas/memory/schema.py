"""The Arrow schema of a persona's memory table, with the embedding model recorded in it.

The schema's metadata holds the model id and the dimension the vectors were made with: a
table opened with another model is detected (`ModelChanged`) instead of mixing vector spaces.
`thread` ("" for none) and `at` (when it happened) came later: `evolve` adds them to a table
made before, with no thread and `at` = `created_at`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import pyarrow as pa  # type: ignore[import-untyped]

from pajamas.errors import Conflict

if TYPE_CHECKING:
    from collections.abc import Mapping

MODEL_KEY: Final = b"pajamas.model"
DIMENSION_KEY: Final = b"pajamas.dimension"
COLUMNS: Final = ("id", "text", "metadata", "importance", "thread", "at", "created_at",
                  "updated_at", "accessed_at", "model")
# What `evolve` gives a table made before these columns: an SQL expression for each.
ADDED: Final = {"thread": "''", "at": "created_at"}


class ModelChanged(Conflict):
    """The table's vectors come from another model than the one loaded: re-embed first."""


def schema(model_id: str, dimension: int) -> pa.Schema:
    """The schema of a table whose vectors come from model_id."""
    return pa.schema([
        pa.field("id", pa.string(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("metadata", pa.string(), nullable=False),  # JSON
        pa.field("importance", pa.float32(), nullable=False),
        pa.field("thread", pa.string(), nullable=False),  # "" when none
        pa.field("at", pa.float64(), nullable=False),
        pa.field("created_at", pa.float64(), nullable=False),
        pa.field("updated_at", pa.float64(), nullable=False),
        pa.field("accessed_at", pa.float64(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("vector", pa.list_(pa.float32(), dimension), nullable=False),
    ], metadata={MODEL_KEY: model_id.encode(), DIMENSION_KEY: str(dimension).encode()})


def missing(names: list[str]) -> dict[str, str]:
    """The columns `ADDED` that a table with these column names lacks, with their values."""
    return {name: value for name, value in ADDED.items() if name not in names}


def with_added(rows: pa.Table) -> pa.Table:
    """rows (read from a table made before thread and at) with them, as `evolve` sets them."""
    if "thread" not in rows.column_names:
        rows = rows.append_column("thread", pa.array([""] * rows.num_rows, pa.string()))
    if "at" not in rows.column_names:
        rows = rows.append_column("at", rows["created_at"])
    return rows


def check_model(recorded: Mapping[bytes, bytes] | None, model_id: str, dimension: int,
                persona: str) -> None:
    """`ModelChanged` unless the table was made with model_id and dimension."""
    recorded = recorded or {}
    found = recorded.get(MODEL_KEY, b"").decode()
    size = recorded.get(DIMENSION_KEY, b"0").decode()
    if (found, size) != (model_id, str(dimension)):
        raise ModelChanged(
            f"the memory of persona {persona} was embedded with {found or 'an unknown model'} "
            f"({size} dimensions), not {model_id} ({dimension}): re-embed it first",
            persona=persona, model=found, expected=model_id, hint="memory.reembed")
