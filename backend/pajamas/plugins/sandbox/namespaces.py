"""New user, mount and network namespaces for a host (unshare(2) and mount(2) through libc)."""

from __future__ import annotations

import ctypes
import os
from typing import Final

CLONE_NEWNS: Final = 0x00020000
CLONE_NEWUSER: Final = 0x10000000
CLONE_NEWNET: Final = 0x40000000
MS_RDONLY: Final = 0x1
MS_NOSUID: Final = 0x2
MS_NODEV: Final = 0x4
MS_NOEXEC: Final = 0x8
MS_REC: Final = 0x4000
MS_PRIVATE: Final = 0x40000

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]


def unshare(*, network: bool) -> None:
    """Enter new user and mount namespaces, and a new network namespace unless `network`.

    The user namespace strips the host's capabilities in the hub's namespace (it can no longer
    raise its rlimits, leave its cgroup or signal as root); the mount namespace lets `hide`
    cover folders for this host alone; the network namespace has only a loopback that is down,
    so nothing can be reached.
    """
    flags = CLONE_NEWUSER | CLONE_NEWNS | (0 if network else CLONE_NEWNET)
    _check(_libc.unshare(flags), "unshare")


def hide(folders: list[str]) -> None:
    """Cover each folder with an empty, read-only, mode 000 tmpfs (after `unshare` only).

    Landlock (ABI ≤ 7) cannot refuse connecting to a Unix socket by its path, so the hub's
    sockets in `<home>/run` are hidden this way; Landlock, applied after, forbids the plugin
    to unmount them again.
    """
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    for folder in folders:
        _check(_libc.mount(b"tmpfs", os.fsencode(folder), b"tmpfs",
                           MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, b"size=4k,mode=000"),
               f"mount tmpfs over {folder}")


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")
