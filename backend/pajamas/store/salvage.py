"""A damaged `hub.db`: checked as it opens, salvaged table by table, or refused clearly.

`hub.db` is the only copy of the personas (their cards), the installed plugins' records and the
chats: no folder on disk holds them again.  So a damaged file (SQLite's ``PRAGMA quick_check``
fails as it opens: a power cut, a bad sector) is salvaged, not rebuilt empty:

- a new database is made by the migrations, every table the damaged one can still read is
  copied into it (the columns both have), and the damaged file, with its -wal and -shm, is
  moved to `<home>/quarantine`; the fault names the tables lost, if any;
- when SQLite cannot read the damaged file at all (its header is gone), nothing is moved: the
  metadata stage fails with `Damaged` naming the file and what to do, the core serves on
  (degraded: personas, memory, plugins and chats wait for their stage), and no traceback
  reaches a client.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pajamas.errors import Damaged

SALVAGE_SUFFIX: Final = ".salvage"


@dataclass
class Salvage:
    """What was copied out of a damaged database."""

    rows: dict[str, int] = field(default_factory=dict)  # by table
    lost: dict[str, str] = field(default_factory=dict)  # table -> why it could not be read

    def describe(self) -> str:
        """The copy in a few words."""
        kept = ", ".join(f"{n} {t}" for t, n in self.rows.items() if n) or "no rows"
        lost = "; lost: " + ", ".join(f"{t} ({why})" for t, why in self.lost.items()) \
            if self.lost else ""
        return f"salvaged {kept}{lost}"


def salvage(damaged: Path, migrate: list[str], reason: str) -> tuple[Path, Salvage]:
    """Copy what damaged still holds into a new database made by migrate's scripts: its
    path (beside damaged) and what was copied; `Damaged` if nothing can be read."""
    target = damaged.with_name(damaged.name + SALVAGE_SUFFIX)
    target.unlink(missing_ok=True)
    try:
        old = sqlite3.connect(f"file:{damaged}?mode=ro", uri=True)
        tables = [row[0] for row in old.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
    except sqlite3.Error as exc:
        raise unreadable(damaged, f"{reason}; {exc}") from exc
    found = Salvage()
    new = sqlite3.connect(target, isolation_level=None)
    try:
        for number, script in enumerate(migrate):
            new.executescript(f"BEGIN; {script}; PRAGMA user_version = {number + 1}; COMMIT;")
        wanted = [row[0] for row in new.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        for table in wanted:
            if table in tables:
                _copy(old, new, table, found)
            else:
                found.lost[table] = "not in the damaged file"
    finally:
        new.close()
        old.close()
    return target, found


def _copy(old: sqlite3.Connection, new: sqlite3.Connection, table: str, found: Salvage) -> None:
    """Copy the rows of table that old can read into new (the columns both have)."""
    columns = [c for c in _columns(new, table) if c in set(_columns(old, table))]
    names = ", ".join(f'"{c}"' for c in columns)
    try:
        rows = old.execute(f'SELECT {names} FROM "{table}"').fetchall()  # noqa: S608
    except sqlite3.Error as exc:  # its pages are damaged: the table is lost
        found.lost[table] = str(exc)
        return
    marks = ", ".join("?" for _ in columns)
    new.execute("BEGIN")
    new.executemany(f'INSERT OR IGNORE INTO "{table}" ({names}) VALUES ({marks})',  # noqa: S608
                    rows)
    new.execute("COMMIT")
    found.rows[table] = len(rows)


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [str(row[1]) for row in db.execute(f'PRAGMA table_info("{table}")')]


def unreadable(path: Path, reason: str) -> Damaged:
    """The error of a hub.db nothing can be salvaged from."""
    return Damaged(f"the metadata database {path} is damaged and nothing could be read from it "
                   f"({reason}): personas, plugins and chats are unavailable.  Replace it with "
                   "a copy of hub.db if you have one, or move it aside to start with none "
                   "(each persona's memories stay under memory/, named by its id), then "
                   "start the hub again", path=str(path))
