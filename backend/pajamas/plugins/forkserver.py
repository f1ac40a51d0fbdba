"""`Template`: the core's side of the pre-forked template process that hosts are forked from.

The template (host/template.py) is started on the first plugin call and kept for the core's
life; a reader thread turns its messages into spawned pids and exit statuses.  If it dies, the
next spawn starts a new one (its hosts die with it: PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, final

import msgpack

from pajamas.errors import Internal

log = logging.getLogger(__name__)
READY_TIMEOUT_S: Final = 30.0
SPAWN_TIMEOUT_S: Final = 10.0
ExitHook = Callable[[int], None]
_PACKAGE_ROOT: Final = str(Path(__file__).resolve().parents[2])


@final
class Template:
    """A running template process: `spawn` forks a host from it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._spawned: dict[int, tuple[threading.Event, list[int]]] = {}
        self._exits: dict[int, ExitHook] = {}
        self._early: dict[int, int] = {}  # exits that came before their hook
        self._control: socket.socket | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = threading.Event()

    @property
    def running(self) -> bool:
        """Whether the template process is up."""
        return self._process is not None and self._process.poll() is None

    def spawn(self, config: dict[str, Any], fds: list[int], on_exit: ExitHook) -> int:
        """Fork a host with config and fds (channel, output); on_exit(status) when it ends."""
        control = self._start()
        request_id = next(self._ids)
        done, box = threading.Event(), list[int]()
        self._spawned[request_id] = (done, box)
        with self._lock:
            socket.send_fds(control, [msgpack.packb({"id": request_id, "config": config})],
                            fds)
        if not done.wait(SPAWN_TIMEOUT_S) or not box:
            raise Internal(f"the plugin template did not fork a host in {SPAWN_TIMEOUT_S:g} s")
        pid = int(box[0])
        with self._lock:
            status = self._early.pop(pid, None)
            if status is None:
                self._exits[pid] = on_exit
        if status is not None:
            on_exit(status)
        return pid

    def stop(self) -> None:
        """Stop the template (its hosts die with it)."""
        with self._lock:
            control, process = self._control, self._process
            self._control, self._process = None, None
        if control is not None:
            control.close()
        if process is not None:
            process.kill()
            process.wait()

    def _start(self) -> socket.socket:
        with self._lock:
            if self._control is None or not self.running:
                self._launch()
            control = self._control
        if not self._ready.wait(READY_TIMEOUT_S) or control is None:
            raise Internal(f"the plugin template did not start in {READY_TIMEOUT_S:g} s")
        return control

    def _launch(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": _PACKAGE_ROOT,
               "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}
        self._ready.clear()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "pajamas.plugins.host.template", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL,
            start_new_session=True)
        theirs.close()
        self._control = ours
        threading.Thread(target=self._read, args=(ours,), name="plugin-template",
                         daemon=True).start()

    def _read(self, control: socket.socket) -> None:
        while True:
            try:
                data = control.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                self._lost(control)
                return
            self._dispatch(msgpack.unpackb(data))

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("t")
        if kind == "ready":
            self._ready.set()
        elif kind == "spawned":
            done, box = self._spawned.pop(message["id"], (threading.Event(), []))
            box.append(int(message["pid"]))
            done.set()
        elif kind == "exited":
            self._exited(int(message["pid"]), int(message["status"]))

    def _exited(self, pid: int, status: int) -> None:
        with self._lock:
            hook = self._exits.pop(pid, None)
            if hook is None:
                self._early[pid] = status
                if len(self._early) > 1000:  # plugin grandchildren reaped as a subreaper
                    self._early.clear()
        if hook is not None:
            hook(status)

    def _lost(self, control: socket.socket) -> None:
        with self._lock:
            if self._control is control:
                self._control = None
            hooks, self._exits = self._exits, {}
        for done, _ in list(self._spawned.values()):
            done.set()
        for hook in hooks.values():
            hook(-1)
        log.info("the plugin template ended")
