"""`Writer`: the one thread that writes a persona's table; adds waiting together go in one batch.

A caller's write returns once LanceDB has committed it (a new table version on disk), so an
acknowledged add survives a crash; or, for an add with a journal (`add_journaled`), once its
record is fsynced there (pending.py): the commit follows, and reads `settle` first.  Adds
queued while a write runs are appended together, so many single adds make few fragments.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Final, final

import pyarrow as pa  # type: ignore[import-untyped]

from pajamas.errors import Busy
from pajamas.memory.table import MemoryTable

if TYPE_CHECKING:
    from pajamas.memory.journal import Record
    from pajamas.memory.pending import Pending

MAX_BATCH_ROWS: Final = 10_000
_ADDS: Final = ("add", "logged")  # "logged": journaled already, nobody waits for it
_Op = tuple[str, Any, "Future[None]"]  # ("add" | "logged", pa.Table, f) or ("call", fn, f)


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
        self._thread.start()
        self.commits = 0  # write transactions made: stats and tests read it

    def add(self, rows: pa.Table) -> None:
        """Append rows; returns once they are committed."""
        self._submit(("add", rows, Future()))

    def add_journaled(self, rows: pa.Table, record: Record) -> None:
        """Append rows; returns once record (the same rows) is in the journal, before the
        commit.  Only for a writer with `pending`."""
        assert self.pending is not None
        self._refuse_if_closed()
        self.pending.append(record, lambda: self._queue.put(("logged", rows, Future())))

    def settle(self) -> None:
        """Wait until every acknowledged add is committed; `Internal` if one could not be."""
        if self.pending is None:
            return
        if self.pending.waiting:
            self.call(lambda table: None)
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
        if self.pending is not None:  # a replay must not bring back what this deletes
            self.pending.forget_committed()
        self._finish([op], lambda: write(self.table))

    def _add_batch(self, first: _Op) -> _Op | None:
        """first and the adds queued behind it, in one append; the next op that is no add."""
        batch, rows, after = [first], first[1].num_rows, None
        while rows < MAX_BATCH_ROWS:
            try:
                op = self._queue.get_nowait()
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
        self._finish(batch, lambda: self.table.add(pa.concat_tables([op[1] for op in batch])))
        return after

    def _finish(self, ops: list[_Op], write: Callable[[], None]) -> None:
        logged = sum(op[0] == "logged" for op in ops)
        try:
            write()
        except BaseException as exc:  # raised in every caller of the batch
            if logged and self.pending is not None:
                self.pending.failed(exc)
            for op in ops:
                op[2].set_exception(exc)
            return
        self.commits += 1
        if logged and self.pending is not None:
            self.pending.committed(logged)
        self._on_write()
        for op in ops:
            op[2].set_result(None)
