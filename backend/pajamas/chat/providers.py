"""`Providers`: the model servers the hub knows, in the metadata database, keys kept apart.

The embedded provider (id "embedded") is not a row: it always exists, runs the model that
ships with the hub (embedded.py) and is the default until another provider is made default.
Its base URL is known only while its server runs ("" otherwise).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import final

from pajamas.chat.keys import KeyFile
from pajamas.chat.model import (
    EMBEDDED,
    Provider,
    check_base_url,
    check_context_tokens,
    check_id,
)
from pajamas.errors import Conflict, InvalidParams, NotFound
from pajamas.store.metadata import MetadataStore

_SELECT = "SELECT id, base_url, model, context_tokens, is_default, tools FROM providers "


@final
class Providers:
    """Add, change, remove and list providers; `resolve` one for a reply."""

    def __init__(self, store: MetadataStore, keys: KeyFile, *, embedded_context: int,
                 embedded_url: Callable[[], str], clock: Callable[[], float] = time.time) -> None:
        self._store, self._keys, self._clock = store, keys, clock
        self._embedded_context, self._embedded_url = embedded_context, embedded_url

    def list(self) -> list[Provider]:
        """Every provider, the embedded one first."""
        rows = self._store.query(_SELECT + "ORDER BY id")
        return [self._embedded(), *(self._provider(row) for row in rows)]

    def get(self, provider: str) -> Provider:
        """One provider; `NotFound` if there is none with that id."""
        if provider == EMBEDDED:
            return self._embedded()
        rows = self._store.query(_SELECT + "WHERE id = ?", (provider,))
        if not rows:
            raise NotFound(f"no provider {provider!r}; the list of providers shows them",
                           provider=provider)
        return self._provider(rows[0])

    def default(self) -> Provider:
        """The provider a conversation without one uses."""
        rows = self._store.query(_SELECT + "WHERE is_default = 1")
        return self._provider(rows[0]) if rows else self._embedded()

    def add(self, provider: str, base_url: str, model: str, *, api_key: str | None,
            context_tokens: int, default: bool, tools: bool = False) -> Provider:
        """A new provider; `Conflict` if the id is taken."""
        check_id(provider)
        if provider == EMBEDDED:
            raise Conflict("the id 'embedded' is the hub's own provider", provider=provider)
        row = (provider, check_base_url(base_url), model, check_context_tokens(context_tokens),
               int(default), int(tools), self._clock())
        try:
            with self._store.transaction() as db:
                if default:
                    db.execute("UPDATE providers SET is_default = 0")
                db.execute("INSERT INTO providers (id, base_url, model, context_tokens, "
                           "is_default, tools, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", row)
        except sqlite3.IntegrityError:
            raise Conflict(f"a provider {provider!r} exists already; update that one "
                           "instead", provider=provider) from None
        self._keys.set(provider, api_key)
        return self.get(provider)

    def update(self, provider: str, *, base_url: str | None, model: str | None,
               api_key: str | None, context_tokens: int | None,
               default: bool | None, tools: bool | None = None) -> Provider:
        """The provider with the given fields changed (an api_key of "" removes the key)."""
        if provider == EMBEDDED:
            if (base_url, model, api_key, context_tokens, tools) != (None,) * 5:
                raise InvalidParams("the embedded provider's only setting here is `default`; "
                                    "its model and context are settings, and it takes no "
                                    "tool calls", field="id")
        else:
            self._update_row(provider, base_url, model, context_tokens, tools)
            if api_key is not None:
                self._keys.set(provider, api_key)
        if default is not None:
            self._set_default(provider, default)
        return self.get(provider)

    def remove(self, provider: str) -> None:
        """Forget a provider and its key; conversations that used it use the default."""
        if provider == EMBEDDED:
            raise InvalidParams("the embedded provider cannot be removed", field="id")
        with self._store.transaction() as db:
            gone = db.execute("DELETE FROM providers WHERE id = ?", (provider,)).rowcount
            db.execute("UPDATE conversations SET provider = NULL WHERE provider = ?",
                       (provider,))
        if not gone:
            raise NotFound(f"no provider {provider!r}; the list of providers shows them",
                           provider=provider)
        self._keys.set(provider, None)

    def key(self, provider: str) -> str | None:
        """The provider's API key (for its client only: never returned by a method)."""
        return None if provider == EMBEDDED else self._keys.get(provider)

    def _update_row(self, provider: str, base_url: str | None, model: str | None,
                    context_tokens: int | None, tools: bool | None) -> None:
        current = self.get(provider)
        row = (check_base_url(base_url) if base_url is not None else current["base_url"],
               model if model is not None else current["model"],
               check_context_tokens(context_tokens) if context_tokens is not None
               else current["context_tokens"],
               int(tools if tools is not None else current["tools"]), provider)
        with self._store.transaction() as db:
            db.execute("UPDATE providers SET base_url = ?, model = ?, context_tokens = ?, "
                       "tools = ? WHERE id = ?", row)

    def _set_default(self, provider: str, default: bool) -> None:
        with self._store.transaction() as db:
            if default or provider == EMBEDDED:
                db.execute("UPDATE providers SET is_default = 0")
            if provider != EMBEDDED:
                db.execute("UPDATE providers SET is_default = ? WHERE id = ?",
                           (int(default), provider))

    def _embedded(self) -> Provider:
        is_default = not self._store.query("SELECT 1 FROM providers WHERE is_default = 1")
        return Provider(id=EMBEDDED, base_url=self._embedded_url(), model="SmolLM2-135M-Instruct",
                        context_tokens=self._embedded_context, default=is_default,
                        embedded=True, has_key=False, tools=False)

    def _provider(self, row: sqlite3.Row) -> Provider:
        return Provider(id=row["id"], base_url=row["base_url"], model=row["model"],
                        context_tokens=row["context_tokens"], default=bool(row["is_default"]),
                        embedded=False, has_key=self._keys.has(row["id"]),
                        tools=bool(row["tools"]))
