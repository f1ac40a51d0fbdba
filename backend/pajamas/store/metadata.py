"""The metadata database: `<home>/hub.db`, SQLite in WAL mode; this module owns its schema.

The schema grows by migrations: `MIGRATIONS[n]` takes the database from version n to n + 1,
and ``PRAGMA user_version`` records the version reached.  A service that needs a table adds a
migration at the end of the list, never edits one that has shipped.

A damaged file is found as it opens (``PRAGMA quick_check``) and salvaged: salvage.py.

One connection serves every thread, behind a lock: the hub's writes are small and rare, and one
connection means one writer, so no call ever sees ``database is locked``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, final

from pajamas.borders import disk_full, no_space
from pajamas.errors import Internal
from pajamas.faults import sqlite_damage

if TYPE_CHECKING:
    from pajamas.faults import Faults

FILENAME: Final = "hub.db"

MIGRATIONS: Final[tuple[str, ...]] = (
    # 0 -> 1: personas.  `card` keeps the Character Card fields the persona does not model
    # (greetings, lore book, extensions...), so that an import exports back unchanged.
    """
    CREATE TABLE personas (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        description TEXT NOT NULL DEFAULT '',
        system_prompt TEXT NOT NULL DEFAULT '',
        settings TEXT NOT NULL DEFAULT '{}',
        card TEXT NOT NULL DEFAULT '{}',
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX personas_created ON personas (created_at);
    """,
    # 1 -> 2: plugins (pajamas.plugins.registry): one row per installed plugin, the SHA-256
    # of each of its files, and the personas it is enabled for.
    """
    CREATE TABLE plugins (
        name TEXT PRIMARY KEY,
        version TEXT NOT NULL,
        description TEXT NOT NULL,
        manifest TEXT NOT NULL,
        installed_at REAL NOT NULL
    );
    CREATE TABLE plugin_files (
        plugin TEXT NOT NULL REFERENCES plugins (name) ON DELETE CASCADE,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (plugin, path)
    );
    CREATE TABLE plugin_enabled (
        persona TEXT NOT NULL REFERENCES personas (id) ON DELETE CASCADE,
        plugin TEXT NOT NULL REFERENCES plugins (name) ON DELETE CASCADE,
        PRIMARY KEY (persona, plugin)
    );
    CREATE INDEX plugin_enabled_plugin ON plugin_enabled (plugin);
    """,
    # 2 -> 3: quotas a persona lowered for a plugin (pajamas.plugins.registry): a JSON map of
    # the lowered keys only; the manifest's quotas hold for the rest.
    """
    CREATE TABLE plugin_quotas (
        persona TEXT NOT NULL REFERENCES personas (id) ON DELETE CASCADE,
        plugin TEXT NOT NULL REFERENCES plugins (name) ON DELETE CASCADE,
        quotas TEXT NOT NULL,
        PRIMARY KEY (persona, plugin)
    );
    """,
    # 3 -> 4: what the persona library lists without opening a card (pajamas.personas):
    # tags (moved out of `card`: one copy), a favourite flag, the memory count the memory
    # store last reported (null until it has), when it was last used, the avatar image and a
    # small thumbnail (a data: URL of at most a few KB, what a page of the list carries).
    """
    ALTER TABLE personas ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE personas ADD COLUMN favourite INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE personas ADD COLUMN memory_count INTEGER;
    ALTER TABLE personas ADD COLUMN last_used_at REAL;
    ALTER TABLE personas ADD COLUMN avatar BLOB;
    ALTER TABLE personas ADD COLUMN thumbnail TEXT;
    UPDATE personas SET tags = json_extract(card, '$.tags'), card = json_remove(card, '$.tags')
        WHERE json_type(card, '$.tags') = 'array';
    CREATE INDEX personas_last_used ON personas (last_used_at);
    CREATE INDEX personas_memories ON personas (memory_count);
    """,
    # 4 -> 5: chat (pajamas.chat): the providers (their keys live in a 0600 file, not here),
    # conversations and their messages.  `extra` keeps what an imported chat file carried that
    # the hub does not model, so that an export gives it back.
    """
    CREATE TABLE providers (
        id TEXT PRIMARY KEY,
        base_url TEXT NOT NULL,
        model TEXT NOT NULL DEFAULT '',
        context_tokens INTEGER NOT NULL,
        is_default INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL
    );
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        persona TEXT NOT NULL REFERENCES personas (id) ON DELETE CASCADE,
        title TEXT NOT NULL,
        provider TEXT,
        extra TEXT NOT NULL DEFAULT '{}',
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX conversations_persona ON conversations (persona, updated_at);
    CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        conversation TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        role TEXT NOT NULL,
        swipes TEXT NOT NULL,
        swipe INTEGER NOT NULL,
        memories TEXT NOT NULL DEFAULT '[]',
        usage TEXT,
        extra TEXT NOT NULL DEFAULT '{}',
        created_at REAL NOT NULL
    );
    CREATE INDEX messages_order ON messages (conversation, seq);
    """,
    # 5 -> 6: plugins in the chat (pajamas.chat): whether a provider takes OpenAI tool calls,
    # the plugin calls a message shows (a slash command's, or a reply's tool calls: a JSON
    # list), and the plugins a persona lets models call without asking each time.
    """
    ALTER TABLE providers ADD COLUMN tools INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN tools TEXT NOT NULL DEFAULT '[]';
    CREATE TABLE tool_grants (
        persona TEXT NOT NULL REFERENCES personas (id) ON DELETE CASCADE,
        plugin TEXT NOT NULL REFERENCES plugins (name) ON DELETE CASCADE,
        granted_at REAL NOT NULL,
        PRIMARY KEY (persona, plugin)
    );
    """,
    # 6 -> 7: how each reply ended (pajamas.chat), so that a reload still shows "stopped",
    # "cut short" or the error: a JSON map of swipe index -> {"finish_reason", "error"}.
    """
    ALTER TABLE messages ADD COLUMN endings TEXT NOT NULL DEFAULT '{}';
    """,
)


@final
class MetadataStore:
    """The hub's SQLite database, migrated to the latest schema on open; thread-safe."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self._lock = threading.RLock()

    @classmethod
    def open(cls, home: Path, faults: Faults | None = None) -> MetadataStore:
        """Open (creating it if needed) `<home>/hub.db` and migrate it; a damaged one is
        salvaged first and reported to faults (`Damaged` when nothing can be read)."""
        path = home / FILENAME
        reason = sqlite_damage(path)
        if reason is not None and faults is not None:
            _salvage(path, reason, faults)
        with sqlite_errors("opening", path):
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode=WAL")
            # FULL: a persona acknowledged is on disk, whatever happens to the process next.
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
        store = cls(connection, path)
        store.migrate()
        return store

    @property
    def version(self) -> int:
        """The schema version of the open database."""
        return int(self.query_one("PRAGMA user_version")[0])

    def migrate(self) -> None:
        """Run every migration the database has not had yet, each in its own transaction."""
        with self._lock, sqlite_errors("migrating", self.path):
            for number in range(self.version, len(MIGRATIONS)):
                # executescript runs outside transaction(): the script is its own transaction.
                self._db.executescript(f"BEGIN IMMEDIATE; {MIGRATIONS[number]}; "
                                       f"PRAGMA user_version = {number + 1}; COMMIT;")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection inside one transaction: committed on success, rolled back on error."""
        with self._lock, sqlite_errors("writing", self.path):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                # A COMMIT that failed (a full disk) leaves the transaction open: without the
                # rollback every later BEGIN would fail, long after space is back.
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Every row of a read."""
        with self._lock, sqlite_errors("reading", self.path):
            return self._db.execute(sql, args).fetchall()

    def query_one(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Row:
        """The first row of a read that always returns one (a count, a pragma)."""
        with self._lock, sqlite_errors("reading", self.path):
            row: sqlite3.Row = self._db.execute(sql, args).fetchone()
            return row

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite)."""
        with self._lock:
            self._db.close()


def _salvage(path: Path, reason: str, faults: Faults) -> None:
    """Put what damaged hub.db still holds in its place; the damaged files go aside."""
    from pajamas.store.salvage import salvage  # noqa: PLC0415

    copy, found = salvage(path, list(MIGRATIONS), reason)
    moved = faults.quarantine(path)
    for suffix in ("-wal", "-shm"):  # the damaged file's log belongs with it
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            faults.quarantine(extra)
    os.replace(copy, path)
    faults.report("metadata", path, reason, action=found.describe(), quarantined=moved,
                  lost=sorted(found.lost))


@contextmanager
def sqlite_errors(doing: str, path: Path) -> Iterator[None]:
    """Translate SQLite failures other than constraint violations (callers map those)."""
    try:
        yield
    except sqlite3.IntegrityError:
        raise
    except sqlite3.Error as exc:
        if no_space(exc, path):
            raise disk_full(f"{doing} the metadata database {path}", path) from exc
        raise Internal(f"the metadata database {path} failed while {doing}: {exc}",
                       database=str(path)) from exc
