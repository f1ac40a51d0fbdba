"""No display: the window runs under xvfb-run, or offscreen without it; as root, unsandboxed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from pajamas.shell.display import XVFB_RUN, xvfb_argv

PROBE = (
    "import json, os\n"
    "from pajamas.shell import display\n"
    "display.prepare(800, 600)\n"
    "print(json.dumps({k: os.environ.get(k) for k in "
    "('DISPLAY', 'QT_QPA_PLATFORM', 'QTWEBENGINE_DISABLE_SANDBOX')}))\n"
)


def probe(**env: str) -> dict[str, str | None]:
    """What prepare() leaves in the environment of a fresh process."""
    base = {k: v for k, v in os.environ.items()
            if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
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
                      "QTWEBENGINE_DISABLE_SANDBOX": "1" if os.geteuid() == 0 else None}


def test_an_existing_display_is_used_as_it_is() -> None:
    result = probe(DISPLAY=":4242")
    assert result["DISPLAY"] == ":4242"
    assert result["QT_QPA_PLATFORM"] is None


def test_the_xvfb_command_reruns_the_same_command_on_a_screen_the_window_fits() -> None:
    argv = xvfb_argv("/usr/bin/xvfb-run", ["/py", "-m", "pajamas"], 1200, 800)
    assert argv == ["/usr/bin/xvfb-run", "--auto-servernum",
                    "--server-args=-screen 0 1300x900x24", "/py", "-m", "pajamas"]
