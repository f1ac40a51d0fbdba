"""No display: the window runs under xvfb-run, or offscreen without it; as root, unsandboxed; with
no GPU, drawn in software."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pajamas.shell.display import DRI, XVFB_RUN, has_gpu, xvfb_argv

PROBE = (
    "import json, os\n"
    "from pajamas.shell import display\n"
    "display.prepare(800, 600)\n"
    "print(json.dumps({k: os.environ.get(k) for k in "
    "('DISPLAY', 'QT_QPA_PLATFORM', 'QTWEBENGINE_DISABLE_SANDBOX', 'QT_QUICK_BACKEND')}))\n"
)


def probe(**env: str) -> dict[str, str | None]:
    """What prepare() leaves in the environment of a fresh process."""
    base = {k: v for k, v in os.environ.items()
            if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "QT_QUICK_BACKEND")}
    out = subprocess.run([sys.executable, "-c", PROBE], env={**base, **env}, check=True,
                         capture_output=True, text=True, timeout=60)
    result: dict[str, str | None] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_no_display_reruns_under_xvfb_run_or_falls_back_to_offscreen() -> None:
    result = probe()
    if shutil.which(XVFB_RUN):
        assert result["DISPLAY"] and result["DISPLAY"].startswith(":")
        assert result["QT_QPA_PLATFORM"] is None
    else:
        assert result["DISPLAY"] is None
        assert result["QT_QPA_PLATFORM"] == "offscreen"


def test_without_xvfb_run_the_window_renders_offscreen() -> None:
    result = probe(PATH="/nonexistent")
    assert result == {"DISPLAY": None, "QT_QPA_PLATFORM": "offscreen",
                      "QTWEBENGINE_DISABLE_SANDBOX": "1" if os.geteuid() == 0 else None,
                      "QT_QUICK_BACKEND": "software"}


def test_an_existing_display_is_used_as_it_is() -> None:
    result = probe(DISPLAY=":4242")
    assert result["DISPLAY"] == ":4242"
    assert result["QT_QPA_PLATFORM"] is None
    # Drawn in software only when no GPU is there to draw with.
    assert result["QT_QUICK_BACKEND"] == (None if has_gpu(DRI) else "software")


def test_the_virtual_screen_and_offscreen_draw_in_software_unless_told_otherwise() -> None:
    assert probe()["QT_QUICK_BACKEND"] == "software"
    assert probe(QT_QPA_PLATFORM="offscreen")["QT_QUICK_BACKEND"] == "software"
    assert probe(QT_QUICK_BACKEND="opengl")["QT_QUICK_BACKEND"] == "opengl"
    assert probe(DISPLAY=":4242", QT_QUICK_BACKEND="opengl")["QT_QUICK_BACKEND"] == "opengl"


def test_a_gpu_is_a_render_node(tmp_path: Path) -> None:
    assert not has_gpu(tmp_path / "absent")
    assert not has_gpu(tmp_path)
    (tmp_path / "card0").touch()
    assert not has_gpu(tmp_path)  # a display controller alone does not render
    (tmp_path / "renderD128").touch()
    assert has_gpu(tmp_path)


def test_the_xvfb_command_reruns_the_same_command_on_a_screen_the_window_fits() -> None:
    argv = xvfb_argv("/usr/bin/xvfb-run", ["/py", "-m", "pajamas"], 1200, 800)
    assert argv == ["/usr/bin/xvfb-run", "--auto-servernum",
                    "--server-args=-screen 0 1300x900x24", "/py", "-m", "pajamas"]
