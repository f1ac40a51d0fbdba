"""`Writer`: the one thread that writes a persona's table; adds waiting together go in one batch.

A caller's write returns once LanceDB has committed it (a new table version on disk), so an
acknowledged add survives a crash; or, for an add with a journal (`add_journaled`), once its
record is fsynced there (pending.py): the commit follows (within `LINGER_S` for adds in a
row), and reads `settle` first, which commits at once.  Adds queued while a write runs, or
journaled in a row within `LINGER_S` of each other, are appended together, so many single
adds make few fragments.

A journaled add whose commit finds the disk full (`DiskFull`) stays acknowledged: its rows are
in the journal, and the writer keeps them (`unsaved`) and commits them first, with the next
batch or before the next call, once space is back; no restart needed.  Reads meanwhile answer
from what is committed.  Any other failure of such a commit is kept in `Pending`, for the
next start.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, final

import pyarrow as pa  # type: ignore[import-untyped]

from pajamas.errors import Busy, DiskFull
from pajamas.memory.table import MemoryTable

if TYPE_CHECKING:
    from pajamas.memory.journal import Record
    from pajamas.memory.pending import Pending

log = logging.getLogger(__name__)
MAX_BATCH_ROWS: Final = 10_000
#: How long the commit of journaled adds that come in a row waits for more adds to join it.
#: Nobody waits for that commit (a read asks for it at once: `settle`), and each one costs
#: LanceDB 3-10 ms of CPU, which the next add's embedding shared the cores with.
LINGER_S: Final = 0.05
_ADDS: Final = ("add", "logged")  # "logged": journaled already, nobody waits for it
# ("add", pa.Table, f), ("logged", Rows, f), ("call", fn, f) or ("settle", None, f)
_Op = tuple[str, Any, "Future[None]"]


@dataclass(frozen=True)
class Rows:
    """A journaled add's rows, made on the writer's thread: the add's reply does not wait for
    them (0.4 ms of an add's 9 at the median, with a commit running beside it)."""

    num_rows: int
    make: Callable[[], pa.Table]


def _made(rows: pa.Table | Rows) -> pa.Table:
    return rows.make() if isinstance(rows, Rows) else rows


@final
class Writer:
    """Serialises every write to one table, batching adds."""

    def __init__(self, table: MemoryTable, *, on_write: Callable[[], None] = lambda: None,
                 pending: Pending | None = None) -> None:
        self.table, self.pending = table, pending
        self._on_write = on_write
        self._queue: queue.SimpleQueue[_Op | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"pajamas-writer-{table.persona[:8]}")
        self._closed = False
        # Journaled rows whose commit found the disk full, oldest first, and how many journal
        # records they are: committed before anything else (the writer's thread only).
        self._unsaved: list[pa.Table] = []
        self._unsaved_records = 0
        self.commits = 0  # write transactions made: stats and tests read it
        self._read_since_adds = True  # a read (settle) came since the last batch of adds
        self._thread.start()

    def add(self, rows: pa.Table) -> None:
        """Append rows; returns once they are committed."""
        self._submit(("add", rows, Future()))

    def add_journaled(self, rows: Rows, record: Record) -> None:
        """Append rows; returns once record (the same rows) is in the journal, before the
        commit (and before rows are made).  Only for a writer with `pending`."""
        assert self.pending is not None
        self._refuse_if_closed()
        self.pending.append(record, lambda: self._queue.put(("logged", rows, Future())))

    def settle(self) -> None:
        """Wait until every acknowledged add is committed, or kept for want of space (then
        the read answers without them); `Internal` if one failed otherwise."""
        self._read_since_adds = True
        if self.pending is None:
            return
        if self.pending.waiting:
            self._submit(("settle", None, Future()))
        self.pending.check()

    def call(self, write: Callable[[MemoryTable], None]) -> None:
        """Run write(table) on the writer's thread, in order with the adds; waits for it."""
        self._submit(("call", write, Future()))

    def close(self) -> None:
        """Finish what is queued and stop; later writes raise `Busy`."""
        self._closed = True
        self._queue.put(None)
        self._thread.join()
        if self.pending is not None:
            self.pending.close()

    def _submit(self, op: _Op) -> None:
        self._refuse_if_closed()
        self._queue.put(op)
        op[2].result()

    def _refuse_if_closed(self) -> None:
        if self._closed:
            raise Busy(f"the memory of persona {self.table.persona} is closed (the persona was "
                       "deleted, or the core is stopping)", persona=self.table.persona)

    def _run(self) -> None:
        pending: _Op | None = None
        while True:
            op = pending or self._queue.get()
            if op is None:
                self._refuse_late()
                return
            if op[0] in _ADDS:
                pending = self._add_batch(op)
            elif op[0] == "settle":
                pending = None
                self._settle(op)
            else:
                pending = None
                self._call(op)

    def _refuse_late(self) -> None:
        """Fail the writes that slipped in while close() ran, instead of leaving them waiting."""
        while True:
            try:
                op = self._queue.get_nowait()
            except queue.Empty:
                return
            if op is not None:
                op[2].set_exception(Busy(f"the memory of persona {self.table.persona} is "
                                         "closed", persona=self.table.persona))

    def _call(self, op: _Op) -> None:
        write: Callable[[MemoryTable], None] = op[1]

        def run() -> None:
            if self.pending is not None:  # a replay must not bring back what this deletes
                self.pending.forget_committed()
            write(self.table)

        self._finish([op], run)

    def _settle(self, op: _Op) -> None:
        """Commit the unsaved rows if there is space now; the caller reads either way."""
        if self._unsaved:
            self._finish([], lambda: None)
        op[2].set_result(None)

    def _add_batch(self, first: _Op) -> _Op | None:
        """first and the adds queued behind it, in one append; the next op that is no add."""
        batch, rows, after = [first], first[1].num_rows, None
        # Journaled adds in a row (no read since the last batch) wait for the next ones; after
        # a read, the next read is likely soon (a chat adds a turn, then searches), and would
        # wait for the whole commit instead of its end: commit at once.
        lingering = first[0] == "logged" and not self._read_since_adds
        self._read_since_adds = False
        linger = time.monotonic() + LINGER_S if lingering else 0.0
        while rows < MAX_BATCH_ROWS:
            try:
                op = self._queue.get(timeout=max(0.0, linger - time.monotonic()))
            except queue.Empty:
                break
            if op is None:  # close(): stop once this batch is written
                self._queue.put(None)
                break
            if op[0] not in _ADDS:
                after = op
                break
            batch.append(op)
            rows += op[1].num_rows
            if op[0] != "logged":  # its caller waits for the commit
                linger = 0.0
        self._finish(batch, lambda: None)
        return after

    def _finish(self, ops: list[_Op], write: Callable[[], None]) -> None:
        """Commit the unsaved rows and ops' adds in one append, then run write; tell every
        caller of ops how it went."""
        adds = [op for op in ops if op[0] in _ADDS]
        journaled = sum(op[0] == "logged" for op in adds)  # one journal record each
        tables: list[pa.Table] = []
        committed = False
        try:
            tables = [_made(op[1]) for op in adds]
            if self._unsaved or tables:
                self._commit([*self._unsaved, *tables], retried=bool(self._unsaved))
                committed = True
                records, self._unsaved, self._unsaved_records = (
                    self._unsaved_records + journaled, [], 0)
                if records and self.pending is not None:
                    self.pending.committed(records)
            write()
        except BaseException as exc:  # raised in every caller of the batch
            if not committed:
                self._keep(exc, [table for op, table in zip(adds, tables, strict=False)
                                 if op[0] == "logged"], journaled)
            for op in ops:
                op[2].set_exception(exc)
            return
        self.commits += 1
        self._on_write()
        for op in ops:
            op[2].set_result(None)

    def _commit(self, tables: list[pa.Table], *, retried: bool) -> None:
        """Append tables' rows; after an earlier failure, only those not in the table yet
        (the failed commit may have reached the disk before it raised)."""
        rows = pa.concat_tables(tables)
        if retried:
            present = self.table.rows(rows["id"].to_pylist(), ["id"])
            if present:
                import pyarrow.compute as pc  # type: ignore[import-untyped]  # noqa: PLC0415

                rows = rows.filter(pc.invert(pc.is_in(rows["id"],
                                                      value_set=pa.array(list(present)))))
        if rows.num_rows:
            self.table.add(rows)

    def _keep(self, exc: BaseException, logged: list[pa.Table], journaled: int) -> None:
        """After a failed commit of journaled rows (logged, made for `journaled` records):
        they stay unsaved when the disk was full (committed once there is space), else the
        failure is kept for the next start."""
        if self.pending is None or not (self._unsaved or journaled):
            return
        if isinstance(exc, DiskFull) and len(logged) == journaled:
            self._unsaved.extend(logged)
            self._unsaved_records += len(logged)
            if logged:
                log.warning("kept %d journaled memories of persona %s to commit once there "
                            "is space: %s", self._unsaved_records, self.table.persona,
                            exc.message)
        else:
            self.pending.failed(exc)
