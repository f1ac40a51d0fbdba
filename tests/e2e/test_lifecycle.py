"""Closing the window leaves no process behind, and never stops a core it did not start."""

from __future__ import annotations

import re

import psutil
import pytest
from playwright.sync_api import Page, expect

from pajamas.perf.driven_app import XVFB_RUN, HubApp, describe
from pajamas.rpc import connection
from pajamas.shell.window import TITLE
from tests.conftest import RunningCore
from tests.e2e.x11 import close_window

pytestmark = pytest.mark.e2e

SLOW_MS = 20_000


def close_like_a_user(hub: HubApp) -> None:
    """The window manager's close button; SIGTERM where there is no X display to send it."""
    if XVFB_RUN is None:
        hub.terminate()
        return
    display, xauthority = hub.display()
    close_window(display, xauthority, TITLE)


def shown_pid(page: Page) -> int:
    """The core pid the status page shows."""
    pid = page.get_by_test_id("status-pid")
    expect(pid).to_have_text(re.compile(r"^\d+$"), timeout=SLOW_MS)
    return int(pid.inner_text())


def test_closing_the_window_stops_the_core_it_started(app_page: Page, hub: HubApp) -> None:
    core_pid = shown_pid(app_page)
    assert core_pid == hub.core_pid()
    assert psutil.Process(core_pid).ppid() == hub.app_process().pid  # this window started it
    hub.remember_processes()
    assert core_pid in hub.seen  # so `leftovers` checks it too

    close_like_a_user(hub)

    assert hub.wait() == 0, hub.tail()
    left = hub.leftovers()
    assert not left, f"processes left after the window closed:\n{describe(left)}"
    assert not (hub.home / "run" / "core.json").exists()


def test_the_window_uses_a_running_core_and_leaves_it_running(
        core: RunningCore, app_page: Page, hub: HubApp) -> None:
    # `core` (tests/conftest.py) started a core on the home before the window opened.
    assert shown_pid(app_page) == core.process.pid
    assert hub.terminate() == 0, hub.tail()
    left = hub.leftovers()
    assert not left, f"processes left after the window closed:\n{describe(left)}"
    assert core.process.poll() is None, "the window stopped a core it did not start"
    assert connection.read(hub.home).pid == core.process.pid
    with core.client() as client:
        assert client.call("system.ping")["pong"] is True
