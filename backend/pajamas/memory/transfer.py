"""Export and import of a persona's memory as JSONL (one memory a line) or Parquet.

A line (or Parquet row) holds every field of a memory: id, text, metadata, importance, thread
(left out when none), at, created_at, updated_at, accessed_at, model, and "vector" when asked
for (include_vectors; a backup always has them).  Import reads and checks the whole file
first and writes nothing if any line is bad (the error names the lines); then it writes
through the persona's writer in batches of BATCH.  Ids and times are kept when given (`at`
defaults to created_at); a line without an id gets a new one.  A vector is reused when its
line's model is the one loaded and its size fits, else the text is embedded again.  An id the
persona already has is skipped (on_conflict "skip", the default: importing a file twice adds
nothing twice) or replaced ("replace": the file's memory wins).
"""

from __future__ import annotations

import json
import math
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]

from pajamas.errors import InvalidParams
from pajamas.memory.dates import dated
from pajamas.memory.enrich import SEARCH_TEXT, context_of, with_search_text
from pajamas.memory.model import (
    check_at,
    check_importance,
    check_metadata,
    check_text,
    check_thread,
    encode_metadata,
)
from pajamas.memory.schema import COLUMNS

if TYPE_CHECKING:
    from pajamas.embedding.service import EmbeddingService
    from pajamas.memory.table import MemoryTable
    from pajamas.memory.writer import Writer

Format = Literal["jsonl", "parquet"]
OnConflict = Literal["skip", "replace"]
Progress = Callable[[float, str], None]
BATCH: Final = 1000
SUFFIXES: Final[dict[str, Format]] = {".jsonl": "jsonl", ".ndjson": "jsonl",
                                      ".parquet": "parquet"}
IGNORED: Final = frozenset({"persona", "score"})  # what memory.get/search add to the fields
KNOWN: Final = frozenset(COLUMNS) | {"vector", "context"} | IGNORED
TIMES: Final = ("created_at", "updated_at", "accessed_at")
MAX_ERRORS: Final = 5


def format_of(path: Path) -> Format:
    """The format a path's suffix names (.jsonl, .ndjson, .parquet)."""
    found = SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise InvalidParams(f"{path.name}: the file must end in .jsonl or .parquet to name "
                            "its format", field="path")
    return found


def _absolute(path: str) -> Path:
    chosen = Path(path).expanduser()
    if not chosen.is_absolute():
        raise InvalidParams(f"path must be absolute (the core's working folder is not "
                            f"yours), not {path!r}", field="path")
    return chosen


def target(path: str) -> Path:
    """An absolute path to write, whose folder exists."""
    chosen = _absolute(path)
    if not chosen.parent.is_dir():
        raise InvalidParams(f"there is no folder {chosen.parent} to write into", field="path")
    return chosen


def source(path: str) -> Path:
    """An absolute path of a file to read."""
    chosen = _absolute(path)
    if not chosen.is_file():
        raise InvalidParams(f"there is no file {chosen}", field="path")
    return chosen


# -- export -------------------------------------------------------------------------------

def export(table: MemoryTable, path: Path, *, include_vectors: bool,
           progress: Progress) -> dict[str, Any]:
    """Write every memory of the table to path: {"path", "format", "count"}."""
    fmt = format_of(path)
    progress(0.0, "reading the memories")
    data = read_all(table, include_vectors=include_vectors)
    part = path.with_name(path.name + ".part")  # renamed once complete: no half file
    if fmt == "parquet":
        import pyarrow.parquet as pq  # type: ignore[import-untyped]  # noqa: PLC0415

        pq.write_table(data, part)
    else:
        _write_jsonl(data, part, progress)
    os.replace(part, path)
    return {"path": str(path), "format": fmt, "count": data.num_rows}


def read_all(table: MemoryTable, *, include_vectors: bool) -> pa.Table:
    """Every memory, oldest first, with its "context" (see enrich.py) when the table has any."""
    indexed = [SEARCH_TEXT] if SEARCH_TEXT in table.arrow_schema.names else []
    data = table.scan(list(COLUMNS) + indexed + (["vector"] if include_vectors else []))
    data = data.sort_by([("created_at", "ascending"), ("id", "ascending")])
    if not indexed:
        return data
    contexts = [context_of(i, t) for i, t in zip(data[SEARCH_TEXT].to_pylist(),
                                                  data["text"].to_pylist(), strict=True)]
    return data.drop_columns([SEARCH_TEXT]).append_column(
        "context", pa.array(contexts, pa.string()))


def _write_jsonl(data: pa.Table, path: Path, progress: Progress) -> None:
    with path.open("w", encoding="utf-8") as out:
        for start in range(0, data.num_rows, BATCH):
            for row in data.slice(start, BATCH).to_pylist():
                row["metadata"] = json.loads(row["metadata"])
                if row.get("context", "") is None:
                    del row["context"]
                if not row["thread"]:
                    del row["thread"]
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            progress(min(1.0, (start + BATCH) / data.num_rows), "writing")


# -- reading and checking a file ----------------------------------------------------------

@dataclass
class Record:
    """One memory of a file, checked."""

    id: str
    text: str
    metadata: dict[str, Any]
    importance: float
    times: tuple[float, float, float]  # created_at, updated_at, accessed_at
    model: str | None
    vector: npt.NDArray[np.float32] | None
    context: str | None = None  # what full-text search indexes before the text (enrich.py)
    thread: str | None = None
    at: float | None = None  # when it happened (None: created_at)


def read(path: Path, now: float) -> list[Record]:
    """Every memory in the file, checked; `InvalidParams` naming the bad lines, if any."""
    if not path.is_file():
        raise InvalidParams(f"there is no file {path}", field="path")
    where = "row" if format_of(path) == "parquet" else "line"
    return check_all(_numbered(path), path.name, where, now)


def check_all(numbered: Iterable[tuple[int, Any]], name: str, where: str,
              now: float) -> list[Record]:
    """The (number, value) pairs checked as records; `InvalidParams` names the bad ones."""
    records: list[Record] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for number, raw in numbered:
        try:
            record = check_record(raw, now)
            if record.id in seen:
                raise InvalidParams(f"id {record.id!r} repeats {where} {seen[record.id]}",
                                    field="path")
            seen[record.id] = number
            records.append(record)
        except InvalidParams as exc:
            errors.append(f"{where} {number}: {exc}")
            if len(errors) == MAX_ERRORS:
                break
    if errors:
        raise InvalidParams(f"{name} was not imported, nothing was written: "
                            + "; ".join(errors), field="path")
    return records


def _numbered(path: Path) -> Iterator[tuple[int, Any]]:
    """(line or row number from 1, its value) of the file."""
    if format_of(path) == "parquet":
        import pyarrow.parquet as pq  # noqa: PLC0415

        try:
            rows = pq.read_table(path).to_pylist()
        except (pa.ArrowException, OSError) as exc:
            raise InvalidParams(f"{path.name} is not a readable Parquet file: {exc}",
                                field="path") from exc
        yield from enumerate(rows, 1)
        return
    with path.open(encoding="utf-8", errors="strict") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                yield number, _json(line)


def _json(line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        return _Bad(f"not JSON ({exc.msg} at column {exc.colno})")


@dataclass
class _Bad:
    reason: str


def check_record(raw: Any, now: float) -> Record:
    """raw (a decoded line) as a Record; `InvalidParams` says what is wrong."""
    if isinstance(raw, _Bad):
        raise InvalidParams(raw.reason, field="path")
    if not isinstance(raw, dict):
        raise InvalidParams("a memory is a JSON object", field="path")
    unknown = sorted(set(raw) - KNOWN)
    if unknown:
        raise InvalidParams(f"unknown fields {unknown}; a memory has {sorted(KNOWN)}",
                            field="path")
    metadata = raw.get("metadata")
    if isinstance(metadata, str):  # as the table and a Parquet export hold it
        metadata = _json(metadata)
        metadata = None if isinstance(metadata, _Bad) else metadata
    created, updated, accessed = (_time(raw, name, now) for name in TIMES)
    return Record(id=_id(raw.get("id")), text=check_text(raw.get("text")),
                  metadata=check_metadata(metadata), importance=check_importance(
                      raw.get("importance")), times=(created, updated, accessed),
                  model=_optional_str(raw, "model"), vector=_vector(raw.get("vector")),
                  context=_optional_str(raw, "context"),
                  thread=check_thread(_optional_str(raw, "thread") or None),
                  at=_at(raw, created))


def _id(value: Any) -> str:
    if value is None:
        return uuid.uuid4().hex
    if not isinstance(value, str) or not 1 <= len(value) <= 128:
        raise InvalidParams(f"id is text of 1 to 128 characters, not {value!r:.60}",
                            field="path")
    return value


def _time(raw: dict[str, Any], name: str, now: float) -> float:
    value = raw.get(name)
    if value is None:
        return now
    if type(value) not in (int, float) or not math.isfinite(value) or value < 0:
        raise InvalidParams(f"{name} is a time in seconds since 1970, not {value!r:.60}",
                            field="path")
    return float(value)


def _at(raw: dict[str, Any], created: float) -> float:
    at = check_at(raw.get("at"))
    return created if at is None else at


def _optional_str(raw: dict[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidParams(f"{name} is text, not {value!r:.60}", field="path")
    return value


def _vector(value: Any) -> npt.NDArray[np.float32] | None:
    if value is None:
        return None
    try:
        found = np.asarray(value) if isinstance(value, list) else None
    except ValueError:  # a ragged list
        found = None
    if found is None or found.ndim != 1 or found.dtype.kind not in "iuf":  # no bools, no text
        raise InvalidParams("vector is a list of numbers", field="path")
    return found.astype(np.float32)


# -- import -------------------------------------------------------------------------------

def import_records(writer: Writer, embeddings: EmbeddingService, records: list[Record], *,
                   on_conflict: OnConflict, progress: Progress,
                   logged: bool = True) -> dict[str, Any]:
    """Write records through the writer: {"imported", "skipped", "replaced", "embedded"};
    into the since-backup log too unless not logged (a repair's refill from the backup)."""
    existing = set(writer.table.scan(["id"])["id"].to_pylist())
    clashing = [r for r in records if r.id in existing]
    if on_conflict == "skip":
        records = [r for r in records if r.id not in existing]
    embedded = 0
    for start in range(0, len(records), BATCH):
        batch = records[start:start + BATCH]
        rows, fresh = to_rows(batch, embeddings, writer.table.arrow_schema)
        replace = [r.id for r in batch if r.id in existing]
        writer.call(partial(_write, rows, replace, logged))
        embedded += fresh
        progress(min(1.0, (start + BATCH) / len(records)), f"imported {start + len(batch)}")
    return {"imported": len(records), "skipped": 0 if on_conflict == "replace" else
            len(clashing), "replaced": len(clashing) if on_conflict == "replace" else 0,
            "embedded": embedded}


def _write(rows: pa.Table, replace: list[str], logged: bool, table: MemoryTable) -> None:
    with nullcontext() if logged else table.unlogged():
        if replace:
            table.delete(replace)
        table.put(rows)


def to_rows(records: list[Record], embeddings: EmbeddingService,
            schema: pa.Schema) -> tuple[pa.Table, int]:
    """records as rows of the table, and how many texts had to be embedded."""
    vectors = np.zeros((len(records), embeddings.dimension), np.float32)
    missing = []
    for n, record in enumerate(records):
        if reusable(record, embeddings):
            vectors[n] = record.vector
        else:
            missing.append(n)
    if missing:
        vectors[missing] = embeddings.embed([dated(records[n].text, _when(records[n]))
                                             for n in missing])
    rows = pa.table(with_search_text({
        "id": [r.id for r in records], "text": [r.text for r in records],
        "metadata": [encode_metadata(r.metadata) for r in records],
        "importance": [r.importance for r in records],
        "thread": [r.thread or "" for r in records],
        "at": [_when(r) for r in records],
        "created_at": [r.times[0] for r in records], "updated_at": [r.times[1] for r in records],
        "accessed_at": [r.times[2] for r in records],
        "model": [embeddings.model_id] * len(records),
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()),
                                                    embeddings.dimension),
    }, schema, [r.context for r in records]), schema=schema)
    return rows, len(missing)


def _when(record: Record) -> float:
    """When the record's memory happened: its `at`, else its created_at."""
    return record.times[0] if record.at is None else record.at


def reusable(record: Record, embeddings: EmbeddingService) -> bool:
    """Whether the record's vector comes from the loaded model and has its size."""
    return (record.vector is not None and record.model == embeddings.model_id
            and len(record.vector) == embeddings.dimension)
