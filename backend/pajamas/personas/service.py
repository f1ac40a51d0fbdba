"""`PersonaService`: the personas in the metadata database.

Names are unique regardless of case ("Ada" and "ada" are one persona).  Deleting a persona
first runs the delete hooks (its memory, its cache entries, its plugin state), then removes
its row: a hook that fails leaves the persona in place, so the delete can be retried.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from typing import Any, final

from pajamas.errors import Conflict, NotFound
from pajamas.personas.avatars import AVATAR_BYTES, image_bytes, thumbnail_of
from pajamas.personas.library import Filter, order_by
from pajamas.personas.model import (
    SUMMARY_CHARS,
    Persona,
    PersonaItem,
    check_name,
    check_page,
    check_tags,
    check_text,
    encode_map,
    summary,
)
from pajamas.store.metadata import MetadataStore

Publish = Callable[[str, Any], None]

_LIBRARY = ("tags, favourite, memory_count, last_used_at, thumbnail, created_at, updated_at "
            "FROM personas ")
_SELECT = "SELECT id, name, description, system_prompt, settings, " + _LIBRARY
_BY_ID = _SELECT + "WHERE id = ?"
_BY_NAME = _SELECT + "WHERE name = ?"
# A list row reads the start of the description (its first line is all it shows), never the card.
_HEAD = f"SELECT id, name, substr(description, 1, {4 * SUMMARY_CHARS}) AS head, "
_ITEMS = _HEAD + _LIBRARY
_INSERT = ("INSERT INTO personas (id, name, description, system_prompt, settings, card, tags, "
           "avatar, thumbnail, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
DeleteHook = Callable[[str], None]
#: How much of a kind (conversations, plugins…) a persona has, for the delete's warning.
UsageCount = Callable[[str], int]


@final
class PersonaService:
    """Create, read, update, delete and list personas."""

    def __init__(self, store: MetadataStore, *, clock: Callable[[], float] = time.time,
                 new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
                 publish: Publish = lambda topic, data: None) -> None:
        self._store, self._clock, self._new_id = store, clock, new_id
        self._publish = publish
        self._on_delete: list[DeleteHook] = []
        self._usage: dict[str, UsageCount] = {}

    def add_usage(self, kind: str, count: UsageCount) -> None:
        """Count what of kind a persona owns (its deletion takes it too), for persona.usage."""
        self._usage[kind] = count

    def on_delete(self, hook: DeleteHook) -> None:
        """Call hook(persona_id) before a persona is deleted (to delete what it owns)."""
        self._on_delete.append(hook)

    def create(self, name: str, *, description: str = "", system_prompt: str = "",
               settings: dict[str, Any] | None = None, card: dict[str, Any] | None = None,
               tags: list[str] | None = None, avatar: str | bytes | None = None,
               thumbnail: str | bytes | None = None) -> Persona:
        """A new persona; `Conflict` if the name is taken."""
        now, persona_id, name = self._clock(), self._new_id(), check_name(name)
        image = image_bytes("avatar", avatar, most=AVATAR_BYTES) if avatar else None
        row = (persona_id, name, check_text("description", description),
               check_text("system_prompt", system_prompt), encode_map("settings", settings or {}),
               encode_map("card", card or {}), json.dumps(check_tags(tags or [])), image,
               thumbnail_of(image, thumbnail), now, now)
        with _unique_name(name), self._store.transaction() as db:
            db.execute(_INSERT, row)
        self._changed(persona_id, "created")
        return self.get(persona_id)

    def get(self, persona_id: str) -> Persona:
        """The persona; `NotFound` if there is none with that id."""
        rows = self._store.query(_BY_ID, (persona_id,))
        if not rows:
            raise _not_found(persona_id)
        return _persona(rows[0])

    def find(self, name: str) -> Persona:
        """The persona called name (any case); `NotFound` if there is none."""
        rows = self._store.query(_BY_NAME, (name,))
        if not rows:
            raise NotFound(f"no persona named {name!r}", name=name, hint="persona.list")
        return _persona(rows[0])

    def exists(self, persona_id: str) -> bool:
        """Whether a persona has that id."""
        return bool(self._store.query("SELECT 1 FROM personas WHERE id = ?", (persona_id,)))

    def require(self, persona_id: str) -> None:
        """`NotFound` unless the persona exists: the check every memory call makes."""
        if not self.exists(persona_id):
            raise _not_found(persona_id)

    def update(self, persona_id: str, **fields: Any) -> Persona:
        """The persona with the given fields set: name, description, system_prompt, settings,
        tags, favourite, card (the fields it keeps beyond its own), avatar ("" removes it),
        thumbnail."""
        changes = _checked_changes(fields)
        if changes:
            assignments = ", ".join(f"{column} = ?" for column in changes)
            args = (*changes.values(), self._clock(), persona_id)
            with _unique_name(changes.get("name", "")), self._store.transaction() as db:
                # The column names come from _checked_changes' fixed list, never from a caller.
                sql = f"UPDATE personas SET {assignments}, updated_at = ? WHERE id = ?"  # noqa: S608
                cursor = db.execute(sql, args)
            if cursor.rowcount == 0:
                raise _not_found(persona_id)
            self._changed(persona_id, "updated")
        return self.get(persona_id)

    def set_memory_count(self, persona_id: str, count: int) -> None:
        """Record how many memories the persona has (the memory store says, after a write);
        it counts as a use of the persona."""
        with self._store.transaction() as db:
            cursor = db.execute("UPDATE personas SET memory_count = ?, last_used_at = ? "
                                "WHERE id = ? AND memory_count IS NOT ?",
                                (count, self._clock(), persona_id, count))
        if cursor.rowcount:
            self._changed(persona_id, "memories")

    def touch(self, persona_id: str) -> None:
        """Record that the persona was used now (a chat, a memory written)."""
        with self._store.transaction() as db:
            db.execute("UPDATE personas SET last_used_at = ? WHERE id = ?",
                       (self._clock(), persona_id))
        self._changed(persona_id, "used")

    def usage(self, persona_id: str) -> dict[str, int | None]:
        """What the persona owns, which its deletion takes: memories and each counted kind."""
        rows = self._store.query("SELECT memory_count FROM personas WHERE id = ?", (persona_id,))
        if not rows:
            raise _not_found(persona_id)
        counts: dict[str, int | None] = {"memories": rows[0]["memory_count"]}
        return counts | {kind: count(persona_id) for kind, count in self._usage.items()}

    def avatar(self, persona_id: str) -> bytes | None:
        """The persona's avatar image, if it has one."""
        rows = self._store.query("SELECT avatar FROM personas WHERE id = ?", (persona_id,))
        if not rows:
            raise _not_found(persona_id)
        blob: bytes | None = rows[0]["avatar"]
        return blob

    def tags(self, *, offset: int = 0, limit: int = 200) -> dict[str, Any]:
        """Every tag in use with how many personas have it, most used first."""
        check_page(offset, limit)
        rows = self._store.query(
            "SELECT json_each.value AS tag, count(*) AS n FROM personas, json_each(personas.tags) "
            "GROUP BY json_each.value COLLATE NOCASE ORDER BY n DESC, tag COLLATE NOCASE")
        items = [{"tag": row["tag"], "count": row["n"]} for row in rows]
        return {"items": items[offset:offset + limit], "total": len(items)}

    def _changed(self, persona_id: str, change: str) -> None:
        self._publish("persona.changed", {"id": persona_id, "change": change})

    def delete(self, persona_id: str) -> None:
        """Delete the persona and everything it owns (through the delete hooks)."""
        self.require(persona_id)
        for hook in self._on_delete:
            hook(persona_id)
        with self._store.transaction() as db:
            db.execute("DELETE FROM personas WHERE id = ?", (persona_id,))
        self._changed(persona_id, "deleted")

    def list(self, *, offset: int = 0, limit: int = 50, sort: str = "name",
             descending: bool | None = None, where: Filter | None = None) -> dict[str, Any]:
        """A page of the library: {"items": [PersonaItem], "total"} (total: those that match)."""
        check_page(offset, limit)
        clause, args = (where or Filter()).where()
        # clause and the ORDER BY are built from fixed text (library.py); values are arguments.
        # The page walks the sort's index and stops at its last row; the total is counted
        # apart, and not at all when the page is the last one.  (Counting in the page's own
        # scan, count(*) OVER (), made SQLite read and sort every match: with 10,000 personas
        # a one-letter search took several times a count.)
        rows = self._store.query(f"{_ITEMS}{clause} {order_by(sort, descending)} "
                                 "LIMIT ? OFFSET ?", (*args, limit, offset))
        if len(rows) < limit and (rows or not offset):
            total = offset + len(rows)
        else:
            count = f"SELECT count(*) FROM personas {clause}"  # noqa: S608
            total = int(self._store.query_one(count, args)[0])
        return {"items": [_item(row) for row in rows], "total": total}

    def card(self, persona_id: str) -> dict[str, Any]:
        """The card fields the persona keeps beyond its own (for export)."""
        rows = self._store.query("SELECT card FROM personas WHERE id = ?", (persona_id,))
        if not rows:
            raise _not_found(persona_id)
        card: dict[str, Any] = json.loads(rows[0]["card"])
        return card


def _checked_changes(fields: dict[str, Any]) -> dict[str, Any]:
    """The columns to set, checked; fields given as None are left alone."""
    checks: dict[str, Callable[[Any], Any]] = {
        "name": check_name,
        "description": lambda text: check_text("description", text),
        "system_prompt": lambda text: check_text("system_prompt", text),
        "settings": lambda value: encode_map("settings", value),
        "tags": lambda value: json.dumps(check_tags(value)),
        "favourite": lambda value: int(bool(value)),
        "card": lambda value: encode_map("card", value),
        "thumbnail": lambda value: thumbnail_of(None, value),
    }
    changes = {name: checks[name](value) for name, value in fields.items()
               if value is not None and name in checks}
    avatar = fields.get("avatar")
    if avatar is not None:  # "" removes it; a new avatar brings its thumbnail, unless one came
        image = image_bytes("avatar", avatar, most=AVATAR_BYTES) if avatar else None
        changes["avatar"] = image
        changes["thumbnail"] = thumbnail_of(image, fields.get("thumbnail"))
    return changes


class _unique_name:  # noqa: N801  (a border, used like `with _unique_name(name):`)
    """Turn the database's unique-name violation into `Conflict`."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, sqlite3.IntegrityError):
            raise Conflict(f"a persona named {self.name!r} exists already; names are unique "
                           "(regardless of case): choose another", name=self.name) from exc


def _persona(row: sqlite3.Row) -> Persona:
    return Persona(id=row["id"], name=row["name"], description=row["description"],
                   system_prompt=row["system_prompt"], settings=json.loads(row["settings"]),
                   created_at=row["created_at"], updated_at=row["updated_at"],
                   tags=json.loads(row["tags"]), favourite=bool(row["favourite"]),
                   memory_count=row["memory_count"], last_used_at=row["last_used_at"],
                   thumbnail=row["thumbnail"])


def _item(row: sqlite3.Row) -> PersonaItem:
    return PersonaItem(id=row["id"], name=row["name"], summary=summary(row["head"], row["name"]),
                       tags=json.loads(row["tags"]), favourite=bool(row["favourite"]),
                       memory_count=row["memory_count"], last_used_at=row["last_used_at"],
                       created_at=row["created_at"], updated_at=row["updated_at"],
                       thumbnail=row["thumbnail"])



def _not_found(persona_id: str) -> NotFound:
    return NotFound(f"no persona with id {persona_id!r}", persona=persona_id,
                    hint="persona.list")
