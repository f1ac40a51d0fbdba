"""A host's life after the fork: confine, import the plugin, serve calls until the channel ends.

Replies to a ``call``: ``ok`` {packed (the msgpack of the result), cpu, maxrss} or ``err``
{kind: "exception" (exception, message, traceback) | "quota" (quota, measured) | "hub" (code,
message, data)}.  If the plugin cannot be imported the host sends ``failed`` and exits.
"""

from __future__ import annotations

import errno
import importlib.util
import inspect
import os
import resource
import signal
import socket
import sys
import traceback
from types import ModuleType, TracebackType
from typing import Any, Final, TextIO

import msgpack

from pajamas.plugins.channel import Channel, ChannelClosed
from pajamas.plugins.host.api import Hub, HubApiError
from pajamas.plugins.sandbox import limits
from pajamas.plugins.sandbox.confine import Plan, confine

MODULE: Final = "plugin_entry"
MAX_TRACEBACK: Final = 4000
#: OSError numbers that mean a quota was hit, and the quota.
_QUOTA_ERRNOS: Final = {errno.EMFILE: "open_files", errno.ENFILE: "open_files",
                        errno.EFBIG: "disk_mb", errno.EDQUOT: "disk_mb"}


def run(channel_fd: int, output_fd: int, config: dict[str, Any]) -> int:
    """Serve the plugin described by config on the channel; the exit code."""
    _stdio(output_fd)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails with EFBIG instead
    channel = Channel(socket.socket(fileno=channel_fd))
    plan = Plan.from_map({**config["plan"], "keep_fds": [channel_fd]})
    applied = confine(plan)
    if config.get("probe"):
        channel.send({"t": "ready", "applied": applied})
        return 0
    try:
        module = _load(config["folder"], config["entry"])
    except BaseException as exc:  # the plugin's import failed: say why, then exit
        channel.send({"t": "failed", **_exception(exc)})
        return 1
    channel.send({"t": "ready", "applied": applied})
    return _serve(channel, module, int(config["output_kb"]) * 1024)


def _stdio(output_fd: int) -> None:
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    for fd in {null, output_fd} - {0, 1, 2}:
        os.close(fd)
    sys.stdout = _text(1)
    sys.stderr = _text(2)


def _text(fd: int) -> TextIO:
    # The host's own stdout/stderr for its whole life: no context to close them in.
    return open(fd, "w", buffering=1, encoding="utf-8", errors="replace",
                closefd=False)


def _load(folder: str, entry: str) -> ModuleType:
    sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(MODULE, os.path.join(folder, entry))
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {entry}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE] = module
    spec.loader.exec_module(module)
    return module


def _serve(channel: Channel, module: ModuleType, output_limit: int) -> int:
    hub = Hub(channel)
    while True:
        try:
            frame = channel.recv()
        except ChannelClosed:
            return 0
        if frame["t"] != "call":
            channel.send({"t": "err", "kind": "exception", "exception": "ProtocolError",
                          "message": f"the host expected a call, not {frame['t']!r}",
                          "traceback": ""})
            continue
        channel.send(_call(module, hub, frame, output_limit))


def _call(module: ModuleType, hub: Hub, frame: dict[str, Any], limit: int) -> dict[str, Any]:
    before = _cpu()
    try:
        result = _invoke(module, hub, str(frame["fn"]), frame.get("args") or {})
    except HubApiError as exc:
        return {"t": "err", "kind": "hub", "code": exc.code, "message": exc.message,
                "data": exc.data}
    except BaseException as exc:  # the plugin's failure, reported to its caller
        return _failure(exc)
    return _packed(result, limit, _cpu() - before)


def _invoke(module: ModuleType, hub: Hub, name: str, args: dict[str, Any]) -> Any:
    function = getattr(module, name, None)
    if not callable(function):
        raise AttributeError(f"the plugin's entry module has no function {name!r}")
    if "hub" in inspect.signature(function).parameters:
        args = {**args, "hub": hub}
    return function(**args)


def _packed(result: Any, limit: int, cpu: float) -> dict[str, Any]:
    try:
        packed = msgpack.packb(result, use_bin_type=True)
    except (TypeError, ValueError, OverflowError) as exc:
        return {"t": "err", "kind": "exception", "exception": type(exc).__name__,
                "message": f"the function's result is not msgpack-serializable: {exc} (return "
                           "maps, lists, text, bytes, numbers, booleans or None)",
                "traceback": ""}
    if len(packed) > limit:
        return {"t": "err", "kind": "quota", "quota": "output_kb", "measured": len(packed)}
    return {"t": "ok", "packed": packed, "cpu": cpu, "maxrss": _maxrss()}


def _failure(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, MemoryError):
        return {"t": "err", "kind": "quota", "quota": "memory_mb", "measured": _maxrss()}
    number = exc.errno if isinstance(exc, OSError) else None
    if number in _QUOTA_ERRNOS:
        quota = _QUOTA_ERRNOS[number]
        return {"t": "err", "kind": "quota", "quota": quota, "measured": _measure(quota)}
    return {"t": "err", "kind": "exception", **_exception(exc)}


def _measure(quota: str) -> int:
    """What the plugin holds of quota: open files (beyond the host's) or scratch bytes."""
    if quota == "open_files":
        return limits.open_files_now() - limits.base_files + 1  # the one refused
    total = 0
    for root, _, files in os.walk("."):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def _exception(exc: BaseException) -> dict[str, Any]:
    text = "".join(traceback.format_exception(type(exc), exc, _plugin_frames(exc.__traceback__)))
    return {"exception": type(exc).__name__, "message": str(exc)[:2000],
            "traceback": text[-MAX_TRACEBACK:]}


def _plugin_frames(tb: TracebackType | None) -> TracebackType | None:
    """The traceback from the first frame outside this package (the plugin's own)."""
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_OWN):
        tb = tb.tb_next
    return tb


def _cpu() -> float:
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                          resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _maxrss() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


_OWN: Final = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
