"""`Conversations`: conversations and their messages in the metadata database.

A message keeps every alternative text as `swipes` (regenerate adds one, `chat.swipe` picks
one); its `text` is the chosen one, and `endings` how each swipe a reply wrote ended (the
shown one's is the message's `finish_reason` and `error`).  Messages are ordered by `seq`,
which only grows.  A conversation says which reply is being written in it (`writing`, asked
of the replies).
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from typing import Any, final

from pajamas.chat.model import Conversation, Ending, Message, Role, ToolRecord, Usage
from pajamas.errors import InvalidParams, NotFound
from pajamas.store.metadata import MetadataStore

_CONV = ("SELECT c.id, c.persona, c.title, c.provider, c.created_at, c.updated_at, "
         "(SELECT count(*) FROM messages m WHERE m.conversation = c.id) AS messages "
         "FROM conversations c ")
_MSG = ("SELECT id, conversation, role, swipes, swipe, memories, usage, tools, endings, "
        "created_at FROM messages ")


@final
class Conversations:
    """Create, read, change and delete conversations and messages."""

    def __init__(self, store: MetadataStore, *, clock: Callable[[], float] = time.time,
                 new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
                 writing: Callable[[str], str | None] = lambda _: None) -> None:
        self._store, self._clock, self._new_id = store, clock, new_id
        self._writing = writing

    # -- conversations ------------------------------------------------------------------

    def create(self, persona: str, title: str, provider: str | None, *,
               extra: dict[str, Any] | None = None, at: float | None = None) -> Conversation:
        """A new, empty conversation of persona."""
        conversation_id, now = self._new_id(), at if at is not None else self._clock()
        with self._store.transaction() as db:
            db.execute("INSERT INTO conversations (id, persona, title, provider, extra, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (conversation_id, persona, title, provider, json.dumps(extra or {}),
                        now, now))
        return self.get(conversation_id)

    def get(self, conversation: str) -> Conversation:
        """One conversation; `NotFound` if there is none with that id."""
        rows = self._store.query(_CONV + "WHERE c.id = ?", (conversation,))
        if not rows:
            raise NotFound(f"no conversation {conversation!r}; a persona's chats list its own",
                           conversation=conversation)
        return self._conversation(rows[0])

    def header(self, conversation: str) -> dict[str, Any]:
        """What an imported chat file carried beyond the hub's fields."""
        rows = self._store.query("SELECT extra FROM conversations WHERE id = ?", (conversation,))
        return dict(json.loads(rows[0]["extra"])) if rows else {}

    def page(self, persona: str, offset: int, limit: int) -> dict[str, Any]:
        """A page of persona's conversations, most recent first: {"items", "total"}."""
        rows = self._store.query(_CONV + "WHERE c.persona = ? ORDER BY c.updated_at DESC, "
                                 "c.id LIMIT ? OFFSET ?", (persona, limit, offset))
        total = self._store.query_one("SELECT count(*) FROM conversations WHERE persona = ?",
                                      (persona,))[0]
        return {"items": [self._conversation(row) for row in rows], "total": int(total)}

    def update(self, conversation: str, *, title: str | None,
               provider: str | None) -> Conversation:
        """The conversation with a new title or provider (None: kept; provider "": the
        default)."""
        current = self.get(conversation)
        chosen = current["provider"] if provider is None else provider or None
        with self._store.transaction() as db:
            db.execute("UPDATE conversations SET title = ?, provider = ?, updated_at = ? "
                       "WHERE id = ?", (title if title is not None else current["title"],
                                        chosen, self._clock(), conversation))
        return self.get(conversation)

    def delete(self, conversation: str) -> None:
        """Delete the conversation and its messages."""
        self.get(conversation)
        with self._store.transaction() as db:
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation,))

    # -- messages -----------------------------------------------------------------------

    def add(self, conversation: str, role: Role, swipes: list[str], *, swipe: int = 0,
            at: float | None = None, extra: dict[str, Any] | None = None,
            tools: list[ToolRecord] | None = None) -> Message:
        """Append a message; `swipes` its alternatives, `swipe` the one shown."""
        message_id, now = self._new_id(), at if at is not None else self._clock()
        with self._store.transaction() as db:
            seq = db.execute("SELECT coalesce(max(seq), 0) + 1 FROM messages "
                             "WHERE conversation = ?", (conversation,)).fetchone()[0]
            db.execute("INSERT INTO messages (id, conversation, seq, role, swipes, swipe, "
                       "extra, tools, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (message_id, conversation, seq, role, json.dumps(swipes), swipe,
                        json.dumps(extra or {}), json.dumps(tools or []), now))
            self._touch(db, conversation)
        return self.message(conversation, message_id)

    def add_many(self, conversation: str,
                 rows: list[tuple[Role, list[str], int, float, dict[str, Any]]]) -> None:
        """Append messages (role, swipes, swipe, time, extra) in one transaction (an import)."""
        with self._store.transaction() as db:
            db.executemany("INSERT INTO messages (id, conversation, seq, role, swipes, swipe, "
                           "extra, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [(self._new_id(), conversation, seq, role, json.dumps(swipes),
                             swipe, json.dumps(extra), at)
                            for seq, (role, swipes, swipe, at, extra) in enumerate(rows, 1)])

    def extras(self, conversation: str) -> dict[str, dict[str, Any]]:
        """The extra fields of every message of the conversation, by message id."""
        rows = self._store.query("SELECT id, extra FROM messages WHERE conversation = ?",
                                 (conversation,))
        return {row["id"]: json.loads(row["extra"]) for row in rows}

    def message(self, conversation: str, message: str) -> Message:
        """One message of the conversation; `NotFound` if it has none with that id."""
        rows = self._store.query(_MSG + "WHERE id = ? AND conversation = ?",
                                 (message, conversation))
        if not rows:
            raise NotFound(f"conversation {conversation!r} has no message {message!r}; "
                           "the conversation's messages list them", conversation=conversation,
                           message_id=message)
        return _message(rows[0])

    def messages(self, conversation: str, offset: int = 0,
                 limit: int = -1) -> dict[str, Any]:
        """A page of messages, oldest first: {"items", "total"} (limit -1: all)."""
        self.get(conversation)
        rows = self._store.query(_MSG + "WHERE conversation = ? ORDER BY seq LIMIT ? OFFSET ?",
                                 (conversation, limit, offset))
        total = self._store.query_one("SELECT count(*) FROM messages WHERE conversation = ?",
                                      (conversation,))[0]
        return {"items": [_message(row) for row in rows], "total": int(total)}

    def last(self, conversation: str) -> Message | None:
        """The newest message, or None."""
        rows = self._store.query(_MSG + "WHERE conversation = ? ORDER BY seq DESC LIMIT 1",
                                 (conversation,))
        return _message(rows[0]) if rows else None

    def set_swipes(self, conversation: str, message: str, swipes: list[str], swipe: int, *,
                   memories: list[str] | None = None, usage: Usage | None = None,
                   tools: list[ToolRecord] | None = None,
                   ending: Ending | None = None) -> Message:
        """Replace a message's alternatives and choice (and what its reply used, cost and
        called, and how the swipe it wrote ended)."""
        if not 0 <= swipe < len(swipes):
            raise InvalidParams(f"swipe must be 0 to {len(swipes) - 1}, not {swipe}",
                                field="swipe")
        with self._store.transaction() as db:
            sets, args = "swipes = ?, swipe = ?", [json.dumps(swipes), swipe]
            if ending is not None:
                sets, args = sets + ", endings = json_set(endings, ?, json(?))", [
                    *args, f'$."{swipe}"', json.dumps(ending)]
            if memories is not None:
                sets, args = sets + ", memories = ?", [*args, json.dumps(memories)]
            if usage is not None:
                sets, args = sets + ", usage = ?", [*args, json.dumps(usage)]
            if tools is not None:
                sets, args = sets + ", tools = ?", [*args, json.dumps(tools)]
            # `sets` is built above from fixed column names only.
            cursor = db.execute(f"UPDATE messages SET {sets} WHERE id = ? AND "  # noqa: S608
                                "conversation = ?", (*args, message, conversation))
            if cursor.rowcount:
                self._touch(db, conversation)
        return self.message(conversation, message)

    def delete_message(self, conversation: str, message: str) -> None:
        """Delete one message."""
        self.message(conversation, message)
        with self._store.transaction() as db:
            db.execute("DELETE FROM messages WHERE id = ?", (message,))
            self._touch(db, conversation)

    def _touch(self, db: sqlite3.Connection, conversation: str) -> None:
        db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?",
                   (self._clock(), conversation))

    def _conversation(self, row: sqlite3.Row) -> Conversation:
        return Conversation(id=row["id"], persona=row["persona"], title=row["title"],
                            provider=row["provider"], created_at=row["created_at"],
                            updated_at=row["updated_at"], messages=int(row["messages"]),
                            writing=self._writing(row["id"]))


def _message(row: sqlite3.Row) -> Message:
    swipes = json.loads(row["swipes"])
    ending = json.loads(row["endings"]).get(str(row["swipe"])) or {}
    return Message(id=row["id"], conversation=row["conversation"], role=row["role"],
                   text=swipes[row["swipe"]], swipes=swipes, swipe=row["swipe"],
                   created_at=row["created_at"], memories=json.loads(row["memories"]),
                   usage=json.loads(row["usage"]) if row["usage"] else None,
                   tools=json.loads(row["tools"]),
                   finish_reason=ending.get("finish_reason"), error=ending.get("error"))
