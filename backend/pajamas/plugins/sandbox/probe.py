"""`probe`: which containment features really hold here, measured in a throwaway host.

The probe host is forked from the template like any other and applies every step; it reports
what held and exits.  Run once, lazily (system.info's `containment`), never at start-up.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any, Final

from pajamas.errors import HubError
from pajamas.plugins.channel import Channel, ChannelError
from pajamas.plugins.forkserver import Template
from pajamas.plugins.manifest import Quotas
from pajamas.plugins.sandbox import cgroup, landlock
from pajamas.plugins.sandbox.cgroup import THREADS
from pajamas.plugins.sandbox.paths import readable_paths

PROBE_TIMEOUT_S: Final = 10.0


def probe(template: Template, data: Path, read: list[str], base: Path | None) -> dict[str, Any]:
    """The features a host gets on this machine: {feature: bool, "landlock_abi": int}."""
    scratch = data / ".probe"
    scratch.mkdir(parents=True, exist_ok=True)
    hidden = data / ".probe-hidden"  # stands for <home>/run
    hidden.mkdir(exist_ok=True)
    group = cgroup.create(base, 1 + THREADS) if base is not None else None
    # A processes quota of 0, so that the probe tries every step (the seccomp filter too).
    quotas = {**asdict(Quotas()), "processes": 0}
    plan = {"scratch": str(scratch), "read": read, "quotas": quotas, "network": False,
            "cgroup": None if group is None else str(group), "hide": [str(hidden)]}
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    try:
        try:
            template.spawn({"plan": plan, "probe": True}, [theirs.fileno(), write_end],
                           lambda status: None)
        finally:
            theirs.close()
            os.close(write_end)
        ours.settimeout(PROBE_TIMEOUT_S)
        applied: dict[str, Any] = dict(Channel(ours).recv().get("applied") or {})
    except (ChannelError, OSError, TimeoutError, HubError) as exc:
        applied = {"errors": [f"the probe host failed: {exc}"]}
    finally:
        ours.close()
        os.close(read_end)
        if group is not None:
            cgroup.remove(group)
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(hidden, ignore_errors=True)
    applied.setdefault("landlock_abi", landlock.abi() if applied.get("landlock") else 0)
    applied.setdefault("seccomp", False)  # a failed probe is an answer too: not probed again
    return applied


def measure() -> dict[str, Any]:
    """The probe, run from a template of its own (for `pajamas doctor`, without a core)."""

    template = Template()
    folder = Path(tempfile.mkdtemp(prefix="pajamas-probe-"))
    try:
        found = probe(template, folder, readable_paths(None, False, folder), cgroup.root())
        return {**found, "forkserver": template.running}
    finally:
        template.stop()
        shutil.rmtree(folder, ignore_errors=True)
