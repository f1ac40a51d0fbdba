"""The hub's errors: one tree, each class mapped to a protocol error code.

::

    HubError                      internal        root; never raised bare
    ├── ProtocolError                             the message itself was wrong
    │   ├── BadRequest            bad_request     not msgpack, not a map, missing or mistyped fields
    │   ├── Unauthorized          unauthorized    the signature does not verify
    │   ├── UnknownMethod         unknown_method  no such method
    │   ├── InvalidParams         invalid_params  a param missing, mistyped or out of range (.field)
    │   └── TooLarge              too_large       a request or value over the size limit
    ├── NotFound                  not_found       the persona, memory, plugin, task or run is absent
    │   └── CoreNotRunning        not_found       no core serves this home (client side)
    ├── Conflict                  conflict        a name is taken, or the object changed meanwhile
    │   └── CoreAlreadyRunning    conflict        a second core was started on the same home
    ├── Forbidden                 forbidden       the caller lacks the permission
    ├── PluginError                               a plugin misbehaved (.plugin)
    │   ├── QuotaExceeded         quota_exceeded  over a memory/CPU/time/process/file/output quota
    │   ├── PluginFailed          plugin_failed   the plugin raised, crashed or was killed
    │   └── PluginModified        plugin_failed   an installed plugin's files no longer match
    ├── ProviderFailed            provider_failed a language-model provider could not be reached
    │                                             or refused (.status, .body: its answer's start)
    ├── HubTimeout                timeout         the work did not finish in the time allowed
    ├── Busy                      busy            the core sheds load; retry later
    ├── Damaged                   damaged         a store on disk is damaged until repaired
    ├── DiskFull                  disk_full       a write found no space on the home's disk
    │                                             (.filesystem, .free): free space, retry
    ├── ConfigError               invalid_params  a setting is unknown, mistyped or out of range
    └── Internal                  internal        a bug; the message says what failed

Every class has a ``code`` (the protocol's error code) and ``data`` (a map sent as the error's
``data``).  ``to_wire`` and ``from_wire`` are inverses for the RPC layer: the core sends
``to_wire(exc)`` and the client raises ``from_wire(error)``, so a caller catches the same class
on either side of the socket.

A message says what was wrong, for a person, and names neither a protocol method nor a CLI
command: it reaches the web UI, the command line and scripts alike.  When another method helps
(one that lists what exists, or fixes the problem), ``data["hint"]`` names it
(``"persona.list"``), and each client words it in its own terms: `pajamas.hints` gives the
command line's (``pajamas persona list``).
"""

from __future__ import annotations

from typing import Any, ClassVar, TypedDict


class WireError(TypedDict):
    """The ``error`` member of a reply body."""

    code: str
    message: str
    data: Any


class HubError(Exception):
    """Root of every error the hub raises on purpose."""

    code: ClassVar[str] = "internal"

    def __init__(self, message: str, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.data: dict[str, Any] = data

    def to_wire(self) -> WireError:
        """This error as the protocol's ``error`` map."""
        return {"code": self.code, "message": self.message, "data": self.data or None}


class ProtocolError(HubError):
    """The message itself broke the protocol."""

    code: ClassVar[str] = "bad_request"


class BadRequest(ProtocolError):
    """The body is not msgpack, not a map, or lacks v/id/method/params of the right types."""

    code: ClassVar[str] = "bad_request"


class Unauthorized(ProtocolError):
    """The HMAC signature does not verify; nothing else is done with the message."""

    code: ClassVar[str] = "unauthorized"


class UnknownMethod(ProtocolError):
    """No method of that name is registered."""

    code: ClassVar[str] = "unknown_method"

    def __init__(self, method: str) -> None:
        super().__init__(f"unknown method {method!r}", method=method, hint="system.methods")


class InvalidParams(ProtocolError):
    """A param is missing, of the wrong type or out of range; ``field`` names it."""

    code: ClassVar[str] = "invalid_params"

    def __init__(self, message: str, *, field: str, **data: Any) -> None:
        super().__init__(message, field=field, **data)
        self.field = field


class TooLarge(ProtocolError):
    """A request or a value is over the configured size limit."""

    code: ClassVar[str] = "too_large"

    def __init__(self, what: str, *, size: int, limit: int) -> None:
        super().__init__(
            f"{what} is {size} bytes, over the limit of {limit} bytes "
            "(setting max_message_bytes)",
            size=size,
            limit=limit,
        )


class NotFound(HubError):
    """The named persona, memory, plugin, task or run does not exist."""

    code: ClassVar[str] = "not_found"


class CoreNotRunning(NotFound):
    """No core answers for this home: start one with `pajamas core`."""


class Conflict(HubError):
    """The name is taken, or the object changed meanwhile."""

    code: ClassVar[str] = "conflict"


class CoreAlreadyRunning(Conflict):
    """A core already serves this home; a second one refuses to start."""


class Forbidden(HubError):
    """The caller lacks the permission (plugins: not granted in the manifest)."""

    code: ClassVar[str] = "forbidden"


class PluginError(HubError):
    """A plugin misbehaved; ``plugin`` names it."""

    code: ClassVar[str] = "plugin_failed"


class QuotaExceeded(PluginError):
    """A plugin went over a quota; ``quota`` names it, ``limit`` and ``used`` say by how much."""

    code: ClassVar[str] = "quota_exceeded"


class PluginFailed(PluginError):
    """The plugin raised, crashed or was killed."""

    code: ClassVar[str] = "plugin_failed"


class PluginModified(PluginError):
    """An installed plugin's files differ from the SHA-256 recorded at install; it is refused."""

    code: ClassVar[str] = "plugin_failed"


class ProviderFailed(HubError):
    """A language-model provider could not be reached or refused: ``data`` has ``provider``,
    ``status`` (the HTTP status, or null when none came) and ``body`` (the start of its answer)."""

    code: ClassVar[str] = "provider_failed"


class HubTimeout(HubError):
    """The work did not finish in the time allowed."""

    code: ClassVar[str] = "timeout"


class Busy(HubError):
    """The core sheds load; retry later."""

    code: ClassVar[str] = "busy"


class Damaged(HubError):
    """A store on disk is damaged (a power cut, a bad sector) and answers nothing until it is
    repaired; ``data`` names it (``persona``, ``path``) and the repair (``hint``)."""

    code: ClassVar[str] = "damaged"
class DiskFull(HubError):
    """A write failed for want of space (ENOSPC, EDQUOT) on the filesystem of ``path``; nothing
    acknowledged was lost, and the same write succeeds once space is freed."""

    code: ClassVar[str] = "disk_full"

    def __init__(self, doing: str, *, path: str, filesystem: str, free: int) -> None:
        super().__init__(
            f"no space left on the disk while {doing}: free space on {filesystem} "
            f"({_size(free)} left) and retry; nothing acknowledged was lost",
            path=path, filesystem=filesystem, free=free)


def _size(count: int) -> str:
    """A byte count for a person: 812 bytes, 3.4 MB, 1.2 GB."""
    size = float(count)
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            return f"{size:.1f} {unit}" if count >= 1024 else f"{count} bytes"
    raise AssertionError("unreachable: the loop returns at GB")


class ConfigError(HubError):
    """A setting is unknown, of the wrong type or out of range; ``setting`` names it."""

    code: ClassVar[str] = "invalid_params"


class Internal(HubError):
    """A bug: the message says what failed; the core keeps serving."""

    code: ClassVar[str] = "internal"


# The class a client raises for each wire code.
_BY_CODE: dict[str, type[HubError]] = {
    "bad_request": BadRequest,
    "unauthorized": Unauthorized,
    "unknown_method": UnknownMethod,
    "invalid_params": InvalidParams,
    "too_large": TooLarge,
    "not_found": NotFound,
    "conflict": Conflict,
    "forbidden": Forbidden,
    "quota_exceeded": QuotaExceeded,
    "plugin_failed": PluginFailed,
    "timeout": HubTimeout,
    "busy": Busy,
    "damaged": Damaged,
    "disk_full": DiskFull,
    "provider_failed": ProviderFailed,
    "internal": Internal,
}

#: Every error code of the protocol, in the order of the table in docs/protocol.md.
ERROR_CODES: tuple[str, ...] = tuple(_BY_CODE)


class RemoteError(HubError):
    """An error the core sent back; ``code`` is the wire code as received."""

    code: ClassVar[str] = "internal"

    def __init__(self, code: str, message: str, data: Any) -> None:
        super().__init__(message)
        self.remote_code = code
        self.data = data if isinstance(data, dict) else {"value": data}


def from_wire(error: WireError) -> HubError:
    """The exception a client raises for a reply's ``error`` map."""
    code, message, data = error["code"], error["message"], error.get("data")
    cls = _BY_CODE.get(code)
    if cls is None:
        return RemoteError(code, message, data)
    fields = data if isinstance(data, dict) else {}
    # Bypass the subclasses' own __init__: the message was already composed by the core.
    exc = cls.__new__(cls)
    HubError.__init__(exc, message)
    exc.data = dict(fields)  # may hold a "message" of its own (a plugin's exception text)
    if isinstance(exc, InvalidParams):
        exc.field = str(fields.get("field", ""))
    return exc


def wire_code(exc: BaseException) -> str:
    """The protocol code for any exception: a HubError's own, else ``internal``."""
    return exc.code if isinstance(exc, HubError) else "internal"
