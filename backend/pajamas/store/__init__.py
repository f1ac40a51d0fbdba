"""The metadata database: one SQLite file under the home (personas, plugins, settings).

::

    metadata.py    MetadataStore: the connection, transactions, and the schema's migrations
    salvage.py     a damaged hub.db: salvaged table by table, or refused with a clear error

`install` adds the "metadata" start-up stage, which opens `<home>/hub.db` (nothing heavy);
the features that keep rows there take its slot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pajamas.faults import Faults

if TYPE_CHECKING:
    from pajamas.context import Context
    from pajamas.stages import Slot
    from pajamas.store.metadata import MetadataStore


def install(ctx: Context) -> Slot[MetadataStore]:
    """Add the "metadata" stage and its integrity check; the slot of the open store."""
    faults = Faults(ctx.home, ctx.publish, ctx.clock)
    ctx.add_check("metadata_integrity", faults.check)
    return ctx.stages.add("metadata", lambda: _open(ctx, faults),
                          stop=lambda store: store.close())


def _open(ctx: Context, faults: Faults) -> MetadataStore:
    from pajamas.errors import Damaged  # noqa: PLC0415
    from pajamas.store.metadata import MetadataStore  # noqa: PLC0415

    try:
        return MetadataStore.open(ctx.home, faults)
    except Damaged as exc:  # nothing salvaged: failing until a person acts
        faults.report("metadata", ctx.home / "hub.db", exc.message, failing="hub.db",
                      action="failing: the core serves without personas, plugins and chats")
        raise
