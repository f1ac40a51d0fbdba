"""`confine`: every containment step, in order, in a host before plugin code is imported.

The order matters: the cgroup is joined and the rlimits set while the host still has root's
capabilities; the user namespace then takes those away (so the plugin cannot raise its limits
or leave its cgroup); Landlock comes next, once everything the host needs is open or imported;
with a `processes` quota of 0 the seccomp filter that refuses new processes is the very last
step, since the host forks nothing once confined (the template forks hosts, never a host).
Each step that the machine refuses is recorded as not applied rather than failing the host:
`Applied` is what system.info and `pajamas doctor` report.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, TypedDict

from pajamas.plugins.sandbox import cgroup, landlock, limits, namespaces, seccomp

#: Hosts run at a lower CPU priority than the core, so that spinning plugins cannot slow its
#: answers (after the user namespace they cannot raise it again).
NICE: Final = 10


class Applied(TypedDict, total=False):
    """Which containment features took effect in a host (and Landlock's ABI)."""

    process_group: bool
    scratch_cwd: bool
    rlimits: bool
    no_new_privs: bool
    pids_cgroup: bool
    user_namespace: bool
    hidden_folders: bool
    network_namespace: bool
    landlock: bool
    landlock_abi: int
    lower_priority: bool
    seccomp: bool  # the filter refusing new processes; absent where processes > 0 (not tried)
    errors: list[str]


@dataclass(frozen=True)
class Plan:
    """What to apply: the host's folders, quotas and permissions (sent by the core)."""

    scratch: str
    read: list[str]
    quotas: dict[str, int]
    network: bool
    cgroup: str | None = None
    hide: list[str] = field(default_factory=list)  # covered by an empty tmpfs (`<home>/run`)
    keep_fds: list[int] = field(default_factory=list)

    @classmethod
    def from_map(cls, data: dict[str, Any]) -> Plan:
        """The plan in a spawn request."""
        return cls(scratch=data["scratch"], read=list(data["read"]), quotas=data["quotas"],
                   network=bool(data["network"]), cgroup=data.get("cgroup"),
                   hide=list(data.get("hide", [])), keep_fds=list(data.get("keep_fds", [])))


def confine(plan: Plan) -> Applied:
    """Apply every step of the plan to this process; what held."""
    applied = Applied(errors=[])
    steps: list[tuple[str, Callable[[], object]]] = [
        ("process_group", _new_session),
        ("lower_priority", lambda: os.nice(NICE)),
        ("pids_cgroup", lambda: _join(plan.cgroup)),
        ("scratch_cwd", lambda: os.chdir(plan.scratch)),
        ("no_new_privs", _no_new_privs),
        ("rlimits", lambda: limits.apply(**{k: plan.quotas[k] for k in (
            "memory_mb", "cpu_s", "open_files", "disk_mb", "processes")})),
        ("user_namespace", lambda: namespaces.unshare(network=plan.network)),
        ("hidden_folders", lambda: _hide(plan.hide, applied)),
        ("landlock", lambda: _landlock(plan, applied)),
    ]
    if plan.quotas["processes"] == 0:  # above 0, the pids cgroup and the core's count hold it
        steps.append(("seccomp", seccomp.install))
    _close_fds(plan.keep_fds)
    for name, step in steps:
        applied[name] = _attempt(step, name, applied)  # type: ignore[literal-required]
    applied["network_namespace"] = applied["user_namespace"] and not plan.network
    return applied


def _attempt(step: Callable[[], object], name: str, applied: Applied) -> bool:
    try:
        step()
    except OSError as exc:
        applied["errors"].append(f"{name}: {exc}")
        return False
    return True


def _new_session() -> None:
    if os.getsid(0) != os.getpid():
        os.setsid()
    limits.prctl(limits.PR_SET_PDEATHSIG, signal.SIGKILL)


def _join(folder: str | None) -> None:
    if folder is None:
        raise OSError(0, "no writable pids cgroup on this machine")
    cgroup.join(folder)


def _no_new_privs() -> None:
    limits.prctl(limits.PR_SET_NO_NEW_PRIVS, 1)
    limits.prctl(limits.PR_SET_DUMPABLE, 0)


def _hide(folders: list[str], applied: Applied) -> None:
    if not applied.get("user_namespace"):  # without a mount namespace of its own, a mount
        raise OSError(0, "no mount namespace to hide folders in")  # would cover them for all
    namespaces.hide(folders)


def _landlock(plan: Plan, applied: Applied) -> None:
    applied["landlock_abi"] = landlock.restrict(plan.read, [plan.scratch, "/dev/null"],
                                                network=plan.network)


def _close_fds(keep: list[int]) -> None:
    """Close every inherited descriptor but stdio and keep."""
    low = 3
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, os.sysconf("SC_OPEN_MAX"))
