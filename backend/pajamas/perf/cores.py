"""Throwaway cores for benchmarks: a real `pajamas core` process serving a temp home."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pajamas.config import ENV_PREFIX
from pajamas.launcher import ensure_core
from pajamas.rpc.client import Client


def core_env() -> dict[str, str]:
    """This process's environment without any PAJAMAS_* variable.

    A benchmark measures the default configuration, so settings the caller exported (a debug
    log level, say) must not leak into the cores it starts.
    """
    return {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}


@contextmanager
def throwaway_core(workdir: Path, *, start_timeout: float = 30.0) -> Iterator[Client]:
    """Start a core for `<workdir>/home` and yield a client of it; stop the core afterwards."""
    handle = ensure_core(workdir / "home", start_timeout=start_timeout, env=core_env())
    try:
        yield handle.client
    finally:
        handle.close()
