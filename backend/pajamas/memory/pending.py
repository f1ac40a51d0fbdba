"""`Pending`: a persona's adds acknowledged from its journal, not yet committed to its table.

An add is on disk once its record is appended to the persona's journal and fsynced (about
0.2 ms here); committing it to LanceDB (a data file and a manifest: 3-10 ms) is the writer's
work after the reply, batched with the adds queued meanwhile, and for adds in a row with those
that come within `writer.LINGER_S`.  Reads wait for the writer first (`Writer.settle`, which
commits at once), so a read after an acknowledged add sees it.

The journal is emptied once everything in it is committed, and its committed records are
dropped before the writer runs any other write (an update, a delete, a compaction): a replay
after a crash then never brings back a memory deleted since.  A commit that finds the disk full
keeps its rows in the journal and the writer (writer.py), which commits them once there is
space; any other failed commit keeps its rows in the journal for the next start, and every
later read says so.

A committed record is also appended to the persona's since-backup log (`log`, the journal's
format): the adds since its last backup, which `memory.repair` replays over that backup when
the table itself is damaged (repair.py).  It is written on the writer's thread after the
commit, so an add's reply does not wait for it; a backup trims it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, final

from pajamas.errors import DiskFull, Internal

if TYPE_CHECKING:
    from pajamas.memory.journal import Journal, Record

log = logging.getLogger(__name__)


@final
class Pending:
    """The journal of one persona's adds in flight, and how many of them are committed."""

    def __init__(self, journal: Journal, persona: str, log: Journal | None = None) -> None:
        self._journal, self.persona, self._log = journal, persona, log
        self._lock = threading.Lock()
        self._records: list[Record] = []  # appended, not committed yet: for the log
        self._appended = 0  # records in the file
        self._committed = 0  # the oldest of them, committed to the table
        self.error: BaseException | None = None

    @property
    def waiting(self) -> bool:
        """Whether some acknowledged add is not committed yet."""
        return self._appended > self._committed

    def append(self, record: Record, enqueue: Callable[[], None]) -> None:
        """Journal record (fsynced), then enqueue its write, in the journal's order."""
        self.check()
        with self._lock:
            self._journal.append(record)
            self._appended += 1
            if self._log is not None:
                self._records.append(record)
            enqueue()

    def committed(self, count: int) -> None:
        """count more of the oldest records are in the table (the writer's thread)."""
        with self._lock:
            self._committed += count
            if self._log is not None:
                done, self._records = self._records[:count], self._records[count:]
                self.log(done)
            if self._committed == self._appended:
                self._journal.truncate()
                self._committed = self._appended = 0

    def log(self, records: list[Record]) -> None:
        """Add committed records (adds, or other writes: `Record.edit`) to the since-backup
        log, on the writer's thread; a failure costs only the repair."""
        if self._log is None:
            return
        try:
            self._log.append_all(records)
        except (OSError, DiskFull) as exc:  # the table has them: only a repair would miss them
            log.error("could not add %d writes of persona %s to its since-backup log %s: "
                      "%s", len(records), self.persona, self._log.path, exc)

    def trim_log(self, moment: float) -> None:
        """Drop the since-backup log's records made before moment (a backup has them)."""
        with self._lock:
            if self._log is not None:
                self._log.keep_since(moment)

    def forget_committed(self) -> None:
        """Drop the committed records before another write (the writer's thread)."""
        with self._lock:
            if self._committed and self.error is None:
                self._journal.drop_first(self._committed)
                self._appended -= self._committed
                self._committed = 0

    def failed(self, error: BaseException) -> None:
        """A commit failed (not for want of space): its rows stay in the journal, for the
        next start."""
        self.error = error

    def check(self) -> None:
        """`Internal` if a commit failed since the start."""
        if self.error is not None:
            raise Internal(f"memories of persona {self.persona} were acknowledged (they are in "
                           f"its journal) but could not be written to its table: {self.error}; "
                           "the journal is replayed when the core starts again",
                           persona=self.persona)

    def close(self) -> None:
        """Close the journal file (the writer has stopped)."""
        with self._lock:
            self._journal.close()
            if self._log is not None:
                self._log.close()

    def remove(self) -> None:
        """Delete the journal (its persona is being deleted)."""
        with self._lock:
            self._journal.remove()
            if self._log is not None:
                self._log.remove()
