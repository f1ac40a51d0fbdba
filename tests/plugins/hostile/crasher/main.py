"""Hostile: crashes the interpreter in several ways (and answers normally when asked)."""

from __future__ import annotations

import ctypes
import os
import threading

KERNEL_ADDRESS = 0xFFFF_FFFF_FFFF_F000  # never readable from user space (page 0 may be mapped)


def segfault() -> bytes:
    """Read memory the process cannot: SIGSEGV."""
    return ctypes.string_at(KERNEL_ADDRESS, 16)


def abort() -> None:
    """abort(): SIGABRT."""
    os.abort()


def exit(status: int = 3) -> None:
    """Leave the host process without a word."""
    os._exit(status)


def fail(message: str = "the plugin broke on purpose") -> None:
    """Raise an exception with message."""
    raise RuntimeError(message)


def ok() -> str:
    """Answer normally: the host came back after a crash."""
    return "alive"


def ok_thread() -> str:
    """Answer from a worker thread (a thread is not a process: processes = 0 allows it)."""
    answer: list[str] = []
    worker = threading.Thread(target=lambda: answer.append(ok()))
    worker.start()
    worker.join()
    return answer[0]
