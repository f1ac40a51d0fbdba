"""Landlock through its three system calls: read-only and read-write folders, no TCP, scoping.

Numbers from the kernel's include/uapi/linux/landlock.h; the syscalls are 444-446 on x86_64
and aarch64 alike.  Rights the running ABI lacks are left out, as the kernel docs advise.
"""

from __future__ import annotations

import ctypes
import os
import struct
from collections.abc import Iterable
from typing import Final

CREATE_RULESET: Final = 444
ADD_RULE: Final = 445
RESTRICT_SELF: Final = 446
VERSION_FLAG: Final = 1
RULE_PATH_BENEATH: Final = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

#: The file-system rights each ABI handles.
_FS_BY_ABI: Final = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1,
                     5: (1 << 16) - 1}
READ: Final = EXECUTE | READ_FILE | READ_DIR
FILE_RIGHTS: Final = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV

_libc = ctypes.CDLL(None, use_errno=True)


class LandlockError(OSError):
    """A Landlock call failed."""


def abi() -> int:
    """The kernel's Landlock ABI, 0 if it has none."""
    return max(0, int(_libc.syscall(CREATE_RULESET, None, 0, VERSION_FLAG)))


def restrict(read: Iterable[str], write: Iterable[str], *, network: bool) -> int:
    """Confine this process (and its future children): returns the ABI applied.

    Only `read` folders and files may be read (and executed), only `write` ones written;
    without `network`, TCP bind and connect are denied (ABI 4+); signals and abstract unix
    sockets cannot reach outside the domain (ABI 6+).  Needs no_new_privs set first.
    """
    version = abi()
    if version < 1:
        raise LandlockError(0, "Landlock is not available")
    handled = _FS_BY_ABI.get(version, (1 << 16) - 1)
    net = 0 if network or version < 4 else NET_BIND_TCP | NET_CONNECT_TCP
    scoped = 0 if version < 6 else SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
    attr = struct.pack("=QQQ", handled, net, scoped)[: 8 if version < 4 else 16 if version < 6
                                                      else 24]
    fd = _check(_libc.syscall(CREATE_RULESET, attr, len(attr), 0), "create a ruleset")
    try:
        for path in read:
            _allow(fd, path, READ & handled)
        for path in write:
            _allow(fd, path, handled & ~(MAKE_CHAR | MAKE_BLOCK | REFER))
        _check(_libc.syscall(RESTRICT_SELF, fd, 0), "restrict self")
    finally:
        os.close(fd)
    return version


def _allow(ruleset: int, path: str, access: int) -> None:
    try:
        target = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # a folder this machine lacks needs no rule
    try:
        if not os.path.isdir(path):
            access &= FILE_RIGHTS
        rule = struct.pack("=Qi", access, target)
        _check(_libc.syscall(ADD_RULE, ruleset, RULE_PATH_BENEATH, rule, 0), f"allow {path}")
    finally:
        os.close(target)


def _check(result: int, what: str) -> int:
    if result < 0:
        errno = ctypes.get_errno()
        raise LandlockError(errno, f"landlock: cannot {what}: {os.strerror(errno)}")
    return int(result)
