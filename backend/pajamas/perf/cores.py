"""Throwaway cores for benchmarks: a real `pajamas core` process serving a temp home."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from pajamas.config import ENV_PREFIX
from pajamas.launcher import ensure_core
from pajamas.rpc.client import Client


def core_env(**settings: str) -> dict[str, str]:
    """This process's environment without any PAJAMAS_* variable, plus the settings given.

    A benchmark measures the default configuration, so settings the caller exported (a debug
    log level, say) must not leak into the cores it starts; a benchmark that needs one (the
    debug methods, say) names it.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    return {**env, **settings}


@contextmanager
def throwaway_core(workdir: Path, *, start_timeout: float = 30.0,
                   settings: Mapping[str, str] | None = None) -> Iterator[Client]:
    """Start a core for `<workdir>/home` and yield a client of it; stop the core afterwards."""
    handle = ensure_core(workdir / "home", start_timeout=start_timeout,
                         env=core_env(**(settings or {})))
    try:
        yield handle.client
    finally:
        handle.close()
