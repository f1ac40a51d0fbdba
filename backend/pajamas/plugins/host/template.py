"""The pre-forked template every plugin host is forked from (`python -m ...host.template FD`).

It imports msgpack and the host code once, then serves the core on a SOCK_SEQPACKET control
socket: a ``spawn`` message {id, config} carrying two descriptors (the host's channel and its
output pipe) is answered ``spawned`` {id, pid} right after the fork; when a host ends the
template reaps it and sends ``exited`` {pid, status} (the raw wait status, so the core learns
the signal).  It dies with the core (PR_SET_PDEATHSIG), and its hosts die with it.
"""

from __future__ import annotations

import gc
import os
import select
import signal
import socket
import sys
import traceback
from typing import Any, Final

import msgpack

from pajamas.plugins.host import main as host_main
from pajamas.plugins.sandbox import limits
from pajamas.plugins.wakeup import drain

PR_SET_CHILD_SUBREAPER: Final = 36
MAX_MESSAGE: Final = 1 << 20


def serve(control: socket.socket) -> None:
    """Fork hosts on request until the core closes the control socket."""
    limits.prctl(limits.PR_SET_PDEATHSIG, signal.SIGKILL)
    limits.prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphaned plugin children are reaped here
    wake_read, wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    gc.freeze()  # what exists now stays shared with every host instead of being copied
    _send(control, {"t": "ready", "pid": os.getpid()})
    while True:
        readable, _, _ = select.select([control.fileno(), wake_read], [], [])
        if wake_read in readable:
            drain(wake_read)
            _reap(control)
        if control.fileno() in readable and not _spawn(control, (wake_read, wake_write)):
            return


def _spawn(control: socket.socket, wake: tuple[int, int]) -> bool:
    data, fds, _, _ = socket.recv_fds(control, MAX_MESSAGE, 4)
    if not data:
        return False
    request = msgpack.unpackb(data)
    pid = os.fork()
    if pid == 0:
        _child(control, wake, fds, request["config"])
    for fd in fds:
        os.close(fd)
    _send(control, {"t": "spawned", "id": request["id"], "pid": pid})
    return True


def _child(control: socket.socket, wake: tuple[int, int], fds: list[int],
           config: dict[str, Any]) -> None:
    code = 70
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        control.close()
        for fd in wake:
            os.close(fd)
        code = host_main.run(fds[0], fds[1], config)
    except BaseException:  # reaches the host's output pipe, hence the hub's log
        traceback.print_exc()
    finally:
        os._exit(code)


def _reap(control: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(control, {"t": "exited", "pid": pid, "status": status})


def _send(control: socket.socket, message: dict[str, Any]) -> None:
    control.send(msgpack.packb(message))


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])))
