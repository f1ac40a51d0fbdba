"""The machine a run ran on: OS, CPU, cores, memory, Python, and the hub's version and commit.

Every probe works on Linux, macOS and Windows (a figure the OS does not give is None), so two
runs' records say whether they compare directly or only through their calibrations.
"""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypedDict

import psutil

from pajamas import __version__, machine


class MachineRecord(TypedDict):
    """The machine a run ran on."""

    os: str
    os_release: str
    cpu_model: str
    cores: int | None
    memory_bytes: int | None
    python: str
    hub_version: str
    commit: str | None
    hostname: str


def machine_record() -> MachineRecord:
    """This machine, now."""
    return MachineRecord(os=platform.system(), os_release=platform.release(),
                         cpu_model=machine.cpu_model(), cores=os.cpu_count(),
                         memory_bytes=_memory_bytes(), python=platform.python_version(),
                         hub_version=__version__, commit=git_commit(),
                         hostname=platform.node())


def same_machine(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two records describe one machine (figures then compare without calibration)."""
    keys = ("hostname", "os", "cpu_model", "cores")
    return all(a.get(key) == b.get(key) for key in keys)


def describe(record: Mapping[str, Any]) -> str:
    """One line: "host (CPU, 8 cores, 16 GB, Linux 6.1, Python 3.11.2, hub 0.1.0 @ abc123)"."""
    memory = record.get("memory_bytes")
    size = f", {memory / 2**30:.0f} GB" if memory else ""
    commit = record.get("commit")
    version = str(record.get("hub_version", "?")) + (f" @ {commit[:10]}" if commit else "")
    return (f"{record.get('hostname', '?')} ({record.get('cpu_model', '?')}, "
            f"{record.get('cores', '?')} cores{size}, {record.get('os', '?')} "
            f"{record.get('os_release', '')}, Python {record.get('python', '?')}, hub {version})")


def git_commit(where: Path | None = None) -> str | None:
    """The commit checked out where the package lives, or None outside a repository."""
    folder = where or Path(__file__).resolve().parent
    try:
        done = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"],
                              check=False, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None  # no repository here, or one without commits yet
    return done.stdout.strip() or None


def _memory_bytes() -> int | None:
    try:
        return int(psutil.virtual_memory().total)
    except (OSError, RuntimeError):
        return None
