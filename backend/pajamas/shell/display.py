"""The environment Qt WebEngine needs on this machine, set before Qt loads.

- Linux with no display (neither DISPLAY nor WAYLAND_DISPLAY, and no QT_QPA_PLATFORM chosen):
  run this same command again under `xvfb-run -a` when that is installed, so the window gets a
  real X display (it renders, takes input and can be screenshotted as on a desktop); without
  xvfb-run, fall back to Qt's `offscreen` platform, which renders but shows nothing.
- As root, Chromium will not start its sandbox, so QTWEBENGINE_DISABLE_SANDBOX=1.
- With no GPU to draw with (no DRI render node, or the virtual X server of xvfb-run, or the
  offscreen platform), QT_QUICK_BACKEND=software: Qt then draws the page's frames with its
  raster painter.  Its default, OpenGL, would be Mesa's llvmpipe emulating a GPU on the CPU,
  which took twice the time a frame: a plain scrolling box drew at 33 ms a frame against
  16.7 (60 a second) in software, and the Qt thread that is busy drawing also carries every
  call and reply between the page and the core.  A QT_QUICK_BACKEND already set is kept.
- QTWEBENGINE_REMOTE_DEBUGGING, when the environment has it, is left alone: Qt reads it and
  serves the DevTools protocol on that address (the end-to-end tests drive the window so).

These are Qt's own variables, not the hub's settings, so they are set here and nowhere else.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

XVFB_RUN: Final = "xvfb-run"
# The virtual screen is a little larger than the window, so the window fits with its frame.
SCREEN_MARGIN: Final = 100
_DISPLAY_VARS: Final = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
# Where Linux lists its GPUs' render nodes (renderD128, …); none means no GPU to draw with.
DRI: Final = Path("/dev/dri")
QUICK_BACKEND: Final = "QT_QUICK_BACKEND"


def prepare(width: int, height: int) -> None:
    """Make the environment Qt needs; may replace this process with itself under xvfb-run."""
    if not sys.platform.startswith("linux"):
        return
    if os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    if any(os.environ.get(name) for name in _DISPLAY_VARS):
        if not has_gpu(DRI) or os.environ.get("QT_QPA_PLATFORM") == "offscreen":
            os.environ.setdefault(QUICK_BACKEND, "software")
        return
    # Neither xvfb's virtual screen nor the offscreen platform has a GPU behind it.
    os.environ.setdefault(QUICK_BACKEND, "software")
    xvfb = shutil.which(XVFB_RUN)
    if xvfb is None:
        log.warning("no display and no %s: the window renders offscreen", XVFB_RUN)
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return
    argv = xvfb_argv(xvfb, this_command(), width, height)
    log.info("no display: running the window under %s", XVFB_RUN)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(xvfb, argv)  # noqa: S606  (argv is our own command line, not input)


def has_gpu(dri: Path) -> bool:
    """Whether the machine has a GPU render node (`dri`/renderD*) to draw with."""
    try:
        return any(node.name.startswith("renderD") for node in dri.iterdir())
    except OSError:  # no such folder, or not readable: no GPU this process can use
        return False


def this_command() -> list[str]:
    """The command line that started this process, with the interpreter as an absolute path."""
    return [sys.executable, *sys.orig_argv[1:]]


def xvfb_argv(xvfb: str, command: Sequence[str], width: int, height: int) -> list[str]:
    """`xvfb-run` on a free display number, with a 24-bit screen the window fits in."""
    screen = f"-screen 0 {width + SCREEN_MARGIN}x{height + SCREEN_MARGIN}x24"
    return [xvfb, "--auto-servernum", f"--server-args={screen}", *command]
