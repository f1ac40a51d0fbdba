"""The seccomp filter of a host whose processes quota is 0, installed in a real child process:
every way to make a process is refused, threads still run.  (The tests run on x86-64, the one
architecture with the filter; elsewhere the step is recorded as not applied.)"""

from __future__ import annotations

import errno
import json
import os
import platform
import subprocess
import sys

import pytest

from pajamas.plugins.sandbox import seccomp
from tests.conftest import PATIENCE_S

TRIES = """\
import ctypes, errno, json, os, subprocess, sys, threading
from concurrent.futures import ThreadPoolExecutor
from pajamas.plugins.sandbox import seccomp

seccomp.install()
libc = ctypes.CDLL(None, use_errno=True)

def attempt(action):
    try:
        action()
    except OSError as exc:
        return errno.errorcode[exc.errno]
    return "allowed"

def raw(number, *args):
    if libc.syscall(number, *args) == -1:
        raise OSError(ctypes.get_errno(), "")

answer = []
worker = threading.Thread(target=lambda: answer.append("ran"))
worker.start()
worker.join()
with ThreadPoolExecutor(4) as pool:
    squares = sum(pool.map(lambda x: x * x, range(10)))
print(json.dumps({
    "fork": attempt(os.fork),
    "subprocess": attempt(lambda: subprocess.run(["true"])),
    "posix_spawn": attempt(lambda: os.posix_spawn("/bin/true", ["true"], {})),
    "raw_fork": attempt(lambda: raw(seccomp.SYS_FORK)),
    "raw_vfork": attempt(lambda: raw(seccomp.SYS_VFORK)),
    "raw_clone3": attempt(lambda: raw(seccomp.SYS_CLONE3, None, 0)),
    "x32_getpid": attempt(lambda: raw(seccomp.X32_SYSCALL_BIT | 39)),
    "thread": answer, "pool": squares, "getpid": os.getpid() > 0,
}))
"""


def test_the_filter_refuses_every_new_process_and_keeps_threads() -> None:
    done = subprocess.run([sys.executable, "-c", TRIES], capture_output=True, text=True,
                          timeout=PATIENCE_S, check=False,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found == {"fork": "EPERM", "subprocess": "EPERM", "posix_spawn": "EPERM",
                     "raw_fork": "EPERM", "raw_vfork": "EPERM", "raw_clone3": "ENOSYS",
                     "x32_getpid": "EPERM", "thread": ["ran"], "pool": 285,
                     "getpid": True}, found


def test_on_another_architecture_the_step_is_refused_not_guessed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    with pytest.raises(OSError, match="x86-64 only") as caught:
        seccomp.install()  # raises before anything is installed in this process
    assert caught.value.errno == errno.ENOSYS
