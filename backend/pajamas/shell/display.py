"""The environment Qt WebEngine needs on this machine, set before Qt loads.

- Linux with no display (neither DISPLAY nor WAYLAND_DISPLAY, and no QT_QPA_PLATFORM chosen):
  run this same command again under `xvfb-run -a` when that is installed, so the window gets a
  real X display (it renders, takes input and can be screenshotted as on a desktop); without
  xvfb-run, fall back to Qt's `offscreen` platform, which renders but shows nothing.
- As root, Chromium will not start its sandbox, so QTWEBENGINE_DISABLE_SANDBOX=1.
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
from typing import Final

log = logging.getLogger(__name__)

XVFB_RUN: Final = "xvfb-run"
# The virtual screen is a little larger than the window, so the window fits with its frame.
SCREEN_MARGIN: Final = 100
_DISPLAY_VARS: Final = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")


def prepare(width: int, height: int) -> None:
    """Make the environment Qt needs; may replace this process with itself under xvfb-run."""
    if not sys.platform.startswith("linux"):
        return
    if os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    if any(os.environ.get(name) for name in _DISPLAY_VARS):
        return
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


def this_command() -> list[str]:
    """The command line that started this process, with the interpreter as an absolute path."""
    return [sys.executable, *sys.orig_argv[1:]]


def xvfb_argv(xvfb: str, command: Sequence[str], width: int, height: int) -> list[str]:
    """`xvfb-run` on a free display number, with a 24-bit screen the window fits in."""
    screen = f"-screen 0 {width + SCREEN_MARGIN}x{height + SCREEN_MARGIN}x24"
    return [xvfb, "--auto-servernum", f"--server-args={screen}", *command]
