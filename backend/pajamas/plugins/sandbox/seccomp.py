"""A seccomp filter that refuses new processes to a host whose `processes` quota is 0.

The pids cgroup counts threads and processes alike (so it must leave room for threads) and
RLIMIT_NPROC does not hold for root, so neither can make a quota of 0 exact; this filter can:

- fork(2) and vfork(2) fail with EPERM;
- clone(2) fails with EPERM unless its flags hold CLONE_THREAD (a thread of the same process:
  Python's, numpy's and every library's threads keep working; glibc's fork(), posix_spawn()
  and vfork() all reach clone without it);
- clone3(2) answers ENOSYS, as on a kernel without it: its flags are in a struct in memory,
  which a classic BPF filter cannot read, and glibc falls back to clone on ENOSYS;
- syscalls of another ABI (i386 through int 0x80, x32) fail with EPERM, since their numbers
  differ and would pass the checks above.

EPERM rather than EAGAIN: EAGAIN is what a full pids cgroup or RLIMIT_NPROC answers, and it
invites retrying (some libraries and shells retry a fork on EAGAIN); EPERM says it never will
work.  The filter is a raw classic-BPF program installed through prctl(2), without libseccomp;
it outlives every later step and is inherited by nothing (no process can be made).  A host
never forks once confined, so it is the last step.  x86-64 only: elsewhere `install` raises
OSError and the step is recorded as not applied (the end-of-call count still holds the quota).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct
from typing import Final

from pajamas.plugins.sandbox import limits

PR_SET_SECCOMP: Final = 22
SECCOMP_MODE_FILTER: Final = 2
AUDIT_ARCH_X86_64: Final = 0xC000003E
X32_SYSCALL_BIT: Final = 0x40000000
CLONE_THREAD: Final = 0x00010000
#: x86-64 syscall numbers.
SYS_CLONE: Final = 56
SYS_FORK: Final = 57
SYS_VFORK: Final = 58
SYS_CLONE3: Final = 435

# Classic BPF (linux/filter.h, linux/seccomp.h).
BPF_LD_W_ABS: Final = 0x20  # BPF_LD | BPF_W | BPF_ABS
BPF_JEQ_K: Final = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
BPF_JGE_K: Final = 0x35  # BPF_JMP | BPF_JGE | BPF_K
BPF_JSET_K: Final = 0x45  # BPF_JMP | BPF_JSET | BPF_K
BPF_RET_K: Final = 0x06  # BPF_RET | BPF_K
SECCOMP_RET_ALLOW: Final = 0x7FFF0000
SECCOMP_RET_ERRNO: Final = 0x00050000
#: Offsets in struct seccomp_data: nr, arch, then args[0] (its low word first: little-endian).
NR: Final = 0
ARCH: Final = 4
ARG0_LOW: Final = 16

Instruction = tuple[int, int, int, int]  # code, jt, jf, k


def supported() -> bool:
    """Whether this machine's architecture has the filter (x86-64)."""
    return platform.machine() in ("x86_64", "AMD64")


def program() -> list[Instruction]:
    """The filter, as (code, jump if true, jump if false, k) instructions."""
    # A jump skips that many instructions; the three answers are the last three: allow (at
    # index 10), eperm (11), enosys (12).
    return [
        (BPF_LD_W_ABS, 0, 0, ARCH),                  # 0
        (BPF_JEQ_K, 0, 9, AUDIT_ARCH_X86_64),        # 1: another ABI → eperm
        (BPF_LD_W_ABS, 0, 0, NR),                    # 2
        (BPF_JGE_K, 7, 0, X32_SYSCALL_BIT),          # 3: x32 → eperm
        (BPF_JEQ_K, 6, 0, SYS_FORK),                 # 4 → eperm
        (BPF_JEQ_K, 5, 0, SYS_VFORK),                # 5 → eperm
        (BPF_JEQ_K, 5, 0, SYS_CLONE3),               # 6 → enosys
        (BPF_JEQ_K, 0, 2, SYS_CLONE),                # 7: not clone → allow
        (BPF_LD_W_ABS, 0, 0, ARG0_LOW),              # 8: clone's flags
        (BPF_JSET_K, 0, 1, CLONE_THREAD),            # 9: a thread → allow, else eperm
        (BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW),                # 10
        (BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM),  # 11
        (BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.ENOSYS), # 12
    ]


def install() -> None:
    """Refuse new processes to this process from now on (needs no_new_privs, or CAP_SYS_ADMIN).

    Raises OSError when the architecture has no filter here or the kernel refuses it.
    """
    if not supported():
        raise OSError(errno.ENOSYS, f"no seccomp filter for {platform.machine()} (x86-64 only)")
    limits.prctl(limits.PR_SET_NO_NEW_PRIVS, 1)  # already set by confine; needed to install
    code = b"".join(struct.pack("=HBBI", *instruction) for instruction in program())
    filters = ctypes.create_string_buffer(code, len(code))
    fprog = _SockFprog(len(code) // 8, ctypes.cast(filters, ctypes.c_void_p))
    if _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"prctl(PR_SET_SECCOMP): {os.strerror(number)}")


class _SockFprog(ctypes.Structure):
    """struct sock_fprog: the number of instructions and where they are."""

    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


_libc = ctypes.CDLL(None, use_errno=True)
