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
from pajamas.personas.model import Persona, check_name, check_page, check_text, encode_map
from pajamas.store.metadata import MetadataStore

_SELECT = ("SELECT id, name, description, system_prompt, settings, created_at, updated_at "
           "FROM personas ")
_BY_ID = _SELECT + "WHERE id = ?"
_BY_NAME = _SELECT + "WHERE name = ?"
_PAGE = _SELECT + "ORDER BY name, id LIMIT ? OFFSET ?"
_INSERT = ("INSERT INTO personas (id, name, description, system_prompt, settings, card, "
           "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
DeleteHook = Callable[[str], None]


@final
class PersonaService:
    """Create, read, update, delete and list personas."""

    def __init__(self, store: MetadataStore, *, clock: Callable[[], float] = time.time,
                 new_id: Callable[[], str] = lambda: uuid.uuid4().hex) -> None:
        self._store, self._clock, self._new_id = store, clock, new_id
        self._on_delete: list[DeleteHook] = []

    def on_delete(self, hook: DeleteHook) -> None:
        """Call hook(persona_id) before a persona is deleted (to delete what it owns)."""
        self._on_delete.append(hook)

    def create(self, name: str, *, description: str = "", system_prompt: str = "",
               settings: dict[str, Any] | None = None,
               card: dict[str, Any] | None = None) -> Persona:
        """A new persona; `Conflict` if the name is taken."""
        now, persona_id, name = self._clock(), self._new_id(), check_name(name)
        row = (persona_id, name, check_text("description", description),
               check_text("system_prompt", system_prompt), encode_map("settings", settings or {}),
               encode_map("card", card or {}), now, now)
        with _unique_name(name), self._store.transaction() as db:
            db.execute(_INSERT, row)
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
        """The persona with the given fields (name, description, system_prompt, settings) set."""
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
        return self.get(persona_id)

    def delete(self, persona_id: str) -> None:
        """Delete the persona and everything it owns (through the delete hooks)."""
        self.require(persona_id)
        for hook in self._on_delete:
            hook(persona_id)
        with self._store.transaction() as db:
            db.execute("DELETE FROM personas WHERE id = ?", (persona_id,))

    def list(self, *, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        """A page of personas by name: {"items", "total"}."""
        check_page(offset, limit)
        rows = self._store.query(_PAGE, (limit, offset))
        total = int(self._store.query_one("SELECT count(*) FROM personas")[0])
        return {"items": [_persona(row) for row in rows], "total": total}

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
    }
    return {name: checks[name](value) for name, value in fields.items() if value is not None}


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
                   created_at=row["created_at"], updated_at=row["updated_at"])


def _not_found(persona_id: str) -> NotFound:
    return NotFound(f"no persona with id {persona_id!r}", persona=persona_id,
                    hint="persona.list")
