"""Where foreign exceptions become hub errors: one context manager per dependency.

Code that calls zmq, psutil or diskcache wraps the call in the matching border, so nothing but
a `HubError` crosses into the services or the RPC replies.  (LanceDB gets its own with the
service that uses it.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

import zmq

from pajamas.errors import Busy, Forbidden, HubError, Internal, NotFound


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
        if isinstance(exc, sqlite3.Error | OSError):
            raise Internal(f"the cache at {self.where} failed while {self.doing}: {exc}; "
                           "`pajamas cache clear` empties it", folder=str(self.where)) from exc


class lancedb_errors:  # noqa: N801  (used like the other borders)
    """Translate LanceDB (and Arrow, and file) failures on persona's memory while doing something.

    LanceDB raises plain ValueError, RuntimeError and OSError from its native core; each
    becomes a hub error naming the persona and the step, so none reaches an RPC reply.
    """

    __slots__ = ("doing", "persona")

    def __init__(self, doing: str, persona: str) -> None:
        self.doing, self.persona = doing, persona

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None or isinstance(exc, HubError) or not isinstance(exc, Exception):
            return
        if isinstance(exc, FileNotFoundError):
            raise NotFound(f"the memory of persona {self.persona} is missing on disk while "
                           f"{self.doing}: {exc}", persona=self.persona) from exc
        raise Internal(f"LanceDB failed on the memory of persona {self.persona} while "
                       f"{self.doing}: {type(exc).__name__}: {exc}",
                       persona=self.persona) from exc
