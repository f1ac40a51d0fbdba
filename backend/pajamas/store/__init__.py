"""The metadata database: one SQLite file under the home (personas, plugins, settings).

::

    metadata.py    MetadataStore: the connection, transactions, and the schema's migrations

`install` adds the "metadata" start-up stage, which opens `<home>/hub.db` (nothing heavy);
the features that keep rows there take its slot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pajamas.context import Context
    from pajamas.stages import Slot
    from pajamas.store.metadata import MetadataStore


def install(ctx: Context) -> Slot[MetadataStore]:
    """Add the "metadata" stage; the slot of the open store."""
    return ctx.stages.add("metadata", lambda: _open(ctx), stop=lambda store: store.close())


def _open(ctx: Context) -> MetadataStore:
    from pajamas.store.metadata import MetadataStore  # noqa: PLC0415

    return MetadataStore.open(ctx.home)
