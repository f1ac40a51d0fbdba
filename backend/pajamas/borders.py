"""Where foreign exceptions become hub errors: one context manager per dependency.

Code that calls zmq, psutil, diskcache or LanceDB wraps the call in the matching border, so
nothing but a `HubError` crosses into the services or the RPC replies.  A failure for want of
space becomes `DiskFull` at every border that writes to the home (`disk_full` says which
failures those are: each dependency words ENOSPC its own way).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Final

import zmq

from pajamas.errors import Busy, DiskFull, Forbidden, HubError, Internal, NotFound

#: The errnos of a write that found no space: the disk is full, or the user's quota is.
NO_SPACE_ERRNOS: Final = frozenset({errno.ENOSPC, errno.EDQUOT})
#: How each dependency words them: Rust's io::Error (LanceDB), SQLite's SQLITE_FULL.
NO_SPACE_TEXTS: Final = ("no space left", f"os error {errno.ENOSPC}",
                         f"os error {errno.EDQUOT}", "disk quota exceeded",
                         "database or disk is full")
#: SQLite reports a failed write of its WAL index or journal as a bare "disk I/O error": on a
#: filesystem with less free than this, that is taken for ENOSPC.
LOW_SPACE_BYTES: Final = 16 * 1024 * 1024


def no_space(exc: BaseException, where: object) -> bool:
    """Whether exc is a write that failed for want of space on the disk that holds where."""
    if isinstance(exc, OSError) and exc.errno in NO_SPACE_ERRNOS:
        return True
    text = str(exc).lower()
    if any(words in text for words in NO_SPACE_TEXTS):
        return True
    return "disk i/o error" in text and free_bytes(where) < LOW_SPACE_BYTES


def disk_full(doing: str, where: object) -> DiskFull:
    """The `DiskFull` of a write to where (a path) that found no space while doing."""
    path = Path(str(where))
    return DiskFull(doing, path=str(path), filesystem=str(mount_point(path)),
                    free=free_bytes(path))


def free_bytes(where: object) -> int:
    """Bytes an unprivileged writer may still use on the filesystem of where (-1: unknown)."""
    try:
        stat = os.statvfs(_existing(Path(str(where))))
    except OSError:
        return -1
    return stat.f_bavail * stat.f_frsize


def mount_point(path: Path) -> Path:
    """The mount point of the filesystem that holds path (or its nearest existing parent)."""
    try:
        path = _existing(path).resolve()
        device = path.stat().st_dev
        while path != path.parent and path.parent.stat().st_dev == device:
            path = path.parent
    except OSError:  # unreadable on the way up: the path itself says enough
        pass
    return path


def _existing(path: Path) -> Path:
    """path, or its nearest parent that exists (a file not made yet, a folder removed)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


class zmq_errors:  # noqa: N801  (used like the other borders: `with zmq_errors(...)`)
    """Translate ZeroMQ failures while doing something, e.g. `zmq_errors("binding", url)`.

    A class rather than a generator context manager: the client enters it on every call, and
    the description is only formatted when something failed.
    """

    __slots__ = ("doing", "what")

    def __init__(self, doing: str, what: object = "") -> None:
        self.doing, self.what = doing, what

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if isinstance(exc, zmq.ZMQError):
            raise Internal(f"ZeroMQ failed while {self.doing} {self.what}: {exc.strerror} "
                           f"(errno {exc.errno})", errno=exc.errno) from exc


@contextmanager
def psutil_errors(pid: int | None) -> Iterator[None]:
    """Translate psutil failures about process pid."""
    import psutil  # noqa: PLC0415  (kept off the core's start-up path)

    try:
        yield
    except psutil.NoSuchProcess as exc:
        raise NotFound(f"process {pid} does not exist (it may have exited)", pid=pid) from exc
    except psutil.AccessDenied as exc:
        raise Forbidden(f"the OS denies access to process {pid}", pid=pid) from exc
    except psutil.Error as exc:
        raise HubError(f"psutil failed for process {pid}: {exc}", pid=pid) from exc


class diskcache_errors:  # noqa: N801  (used like the other borders)
    """Translate diskcache, SQLite and file failures of the cache folder `where`.

    A class, like `zmq_errors`: the warm cache tier enters it on every read, and diskcache is
    only imported once something failed.
    """

    __slots__ = ("doing", "where")

    def __init__(self, doing: str, where: object) -> None:
        self.doing, self.where = doing, where

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None:
            return
        import sqlite3  # noqa: PLC0415  (only when something failed)

        import diskcache  # type: ignore[import-untyped]  # noqa: PLC0415

        if isinstance(exc, diskcache.Timeout):
            raise Busy(f"the cache at {self.where} stayed locked while {self.doing}; another "
                       "process holds it: retry later", folder=str(self.where)) from exc
        if isinstance(exc, sqlite3.Error | OSError) and no_space(exc, self.where):
            raise disk_full(f"{self.doing} the cache at {self.where}", self.where) from exc
        if isinstance(exc, sqlite3.Error | OSError):
            raise Internal(f"the cache at {self.where} failed while {self.doing}: {exc}; "
                           "`pajamas cache clear` empties it", folder=str(self.where)) from exc


class lancedb_errors:  # noqa: N801  (used like the other borders)
    """Translate LanceDB (and Arrow, and file) failures on persona's memory while doing something.

    LanceDB raises plain ValueError, RuntimeError and OSError from its native core; each
    becomes a hub error naming the persona and the step, so none reaches an RPC reply.  where
    is the memory folder: a failure for want of space on its disk becomes `DiskFull`.
    """

    __slots__ = ("doing", "persona", "where")

    def __init__(self, doing: str, persona: str, where: object = "") -> None:
        self.doing, self.persona, self.where = doing, persona, where

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None or isinstance(exc, HubError) or not isinstance(exc, Exception):
            return
        if self.where and no_space(exc, self.where):
            raise disk_full(f"{self.doing} (the memory of persona {self.persona})",
                            self.where) from exc
        if isinstance(exc, FileNotFoundError):
            raise NotFound(f"the memory of persona {self.persona} is missing on disk while "
                           f"{self.doing}: {exc}", persona=self.persona) from exc
        raise Internal(f"LanceDB failed on the memory of persona {self.persona} while "
                       f"{self.doing}: {type(exc).__name__}: {exc}",
                       persona=self.persona) from exc
