"""The js_api object: `window.pywebview.api.call(method, params)` in the page lands here,
and `choose_paths(kind, multiple, file_types)`, the native file dialog (`dialogs`).

It holds no logic.  It forwards the call to `pajamas.rpc.client.Client.call` and turns the
outcome into the envelope `webui/src/bridge.js` expects, never an exception::

    {"ok": true,  "result": <the method's result>}
    {"ok": false, "error": {"code", "message", "data"}}     code: a docs/protocol.md error code

A `HubError` (raised by the client for an error reply, or because no core answers) keeps its
code; anything else is a bug in the shell and becomes `internal`.  Besides `call`, the page
gets the native file dialogs (`choose_files`, `save_file`: dialogs.py), answered the same way.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import CancelledError, Executor
from typing import Any, Literal, TypedDict, final

from pajamas.errors import HubError, Internal, InvalidParams, WireError
from pajamas.rpc.client import Client
from pajamas.shell.dialogs import FileDialogs

log = logging.getLogger(__name__)

#: Returns the client of the core; may wait for the core to start, raises `HubError` if none.
ClientSource = Callable[[], Client]


class OkEnvelope(TypedDict):
    """A call that succeeded."""

    ok: Literal[True]
    result: Any


class ErrorEnvelope(TypedDict):
    """A call that failed: the protocol's error map."""

    ok: Literal[False]
    error: WireError


Envelope = OkEnvelope | ErrorEnvelope


@final
class Bridge:
    """What the page sees as `window.pywebview.api`: `call`, and `choose_paths`.

    pywebview exposes every public attribute of this object to the page, so everything else
    is private, and the executor's lifecycle belongs to whoever made it.
    """

    def __init__(self, client: ClientSource, executor: Executor,
                 dialogs: FileDialogs | None = None) -> None:
        self._client = client
        self._dialogs = dialogs or FileDialogs()
        # pywebview runs each js_api call on a fresh thread, and Client keeps one zmq socket per
        # thread until it is closed: running the calls on a fixed pool (pool.CallPool) reuses
        # those sockets instead of leaking one per call.
        self._executor = executor

    def call(self, method: str, params: dict[str, Any] | None = None) -> Envelope:
        """Call an RPC method of the core; its outcome as an envelope."""
        try:
            return self._executor.submit(forward, self._client, method, params).result()
        except (RuntimeError, CancelledError):  # the pool was shut down: the window is closing
            return error_envelope(Internal(f"cannot call {method}: the window is closing"))

    def choose_files(self, kinds: list[str] | None = None) -> Envelope:
        """The native open dialog: {"ok", "result": [{"name", "data" (base64)}]}."""
        return self._dialog("choose files", lambda d: d.open_files(list(kinds or [])))

    def save_file(self, name: str, data: str) -> Envelope:
        """The native save dialog, writing data (base64): {"ok", "result": {"path"} or null}."""
        return self._dialog("save a file", lambda d: d.save_file(name, data))

    def _dialog(self, doing: str, run: Callable[[FileDialogs], Any]) -> Envelope:
        if self._dialogs.window is None:
            return error_envelope(InvalidParams(
                f"this window cannot {doing}: it has no native dialogs; use the file input",
                field="dialog"))
        try:
            return OkEnvelope(ok=True, result=run(self._dialogs))
        except HubError as exc:
            return error_envelope(exc)
        except (OSError, ValueError) as exc:
            return error_envelope(InvalidParams(f"could not {doing}: {exc}", field="dialog"))

    def choose_paths(self, kind: str = "file", multiple: bool = False,
                     file_types: list[str] | None = None) -> Envelope:
        """Open the native dialog to choose files or a folder: {"paths": [...]}, empty if
        cancelled."""
        try:
            paths = self._dialogs.choose(kind, multiple, file_types or [])
        except HubError as exc:
            return error_envelope(exc)
        except Exception as exc:
            log.exception("the file dialog failed")
            return error_envelope(Internal(f"the file dialog failed: {type(exc).__name__}: "
                                           f"{exc}"))
        return OkEnvelope(ok=True, result={"paths": paths})


def forward(client: ClientSource, method: str, params: dict[str, Any] | None) -> Envelope:
    """Call the method through the client and wrap the outcome; never raises."""
    try:
        return ok_envelope(method, client().call(method, params))
    except HubError as exc:
        return error_envelope(exc)
    except Exception as exc:
        log.exception("the shell failed to forward %s", method)
        return error_envelope(Internal(f"the shell failed to call {method}: "
                                       f"{type(exc).__name__}: {exc}", method=method))


def ok_envelope(method: str, result: Any) -> Envelope:
    """The success envelope, or an `internal` one if the result cannot travel as JSON.

    pywebview hands the envelope to the page as JSON; a value it cannot encode (bytes, NaN)
    would reject the page's promise instead of resolving it, so it is caught here.
    """
    try:
        json.dumps(result, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return error_envelope(Internal(f"the result of {method} cannot be sent to the page "
                                       f"as JSON: {exc}", method=method))
    return OkEnvelope(ok=True, result=result)


def error_envelope(exc: HubError) -> ErrorEnvelope:
    """The failure envelope for an error of the hub's tree."""
    return ErrorEnvelope(ok=False, error=exc.to_wire())
