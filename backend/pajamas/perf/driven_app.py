"""The real app in a subprocess, driven over the DevTools protocol, and its process tree.

Used by the end-to-end tests and by the perf suite's `startup.window_status`.

`HubApp.launch` starts `python -m pajamas` (no arguments: the window) under `xvfb-run` — or on
Qt's offscreen platform when xvfb-run is missing — with QTWEBENGINE_REMOTE_DEBUGGING on a free
port, so Playwright can attach to the window's own Chromium with `connect_over_cdp`.  It
remembers every process of the app it sees (the shell, the core it starts, Qt WebEngine's
helpers, Xvfb) so a test can assert that none is left once the window is closed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from playwright.sync_api import Browser, Page, Playwright

from pajamas.errors import HubTimeout, Internal
from pajamas.rpc import connection

XVFB_RUN = shutil.which("xvfb-run")
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 60.0  # past the core's own grace (launcher.STOP_GRACE_S) on a busy machine
# A sample every quarter second lets tests see the sparkline grow without waiting long.
APP_SETTINGS = {"PAJAMAS_SAMPLE_INTERVAL_S": "0.25"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def app_env(home: Path, port: int, **extra: str) -> dict[str, str]:
    """The app's environment: ours without PAJAMAS_*, a temp home, DevTools on port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAJAMAS_")}
    env.pop("DISPLAY", None)  # never open a window on the developer's desktop
    env.pop("WAYLAND_DISPLAY", None)
    if XVFB_RUN is None:
        env["QT_QPA_PLATFORM"] = "offscreen"
    return {**env, **APP_SETTINGS, "PAJAMAS_HOME": str(home),
            "QTWEBENGINE_REMOTE_DEBUGGING": f"127.0.0.1:{port}",
            "QTWEBENGINE_DISABLE_SANDBOX": "1", **extra}


def app_command() -> list[str]:
    """`python -m pajamas`, under xvfb-run when it is installed."""
    command = [sys.executable, "-m", "pajamas"]
    if XVFB_RUN is None:
        return command
    return [XVFB_RUN, "--auto-servernum", "--server-args=-screen 0 1400x1000x24", *command]


@dataclass
class HubApp:
    """One run of the app on a temp home."""

    home: Path
    port: int
    launcher: subprocess.Popen[bytes]  # xvfb-run, or the app itself without it
    output: Path
    seen: dict[int, float] = field(default_factory=dict)  # pid -> create_time

    @classmethod
    def launch(cls, home: Path, **settings: str) -> HubApp:
        """Start the app on home; it opens the window and starts (or finds) the core."""
        home.mkdir(parents=True, exist_ok=True)
        port = free_port()
        output = home.parent / "app.out"
        with output.open("wb") as out:
            launcher = subprocess.Popen(app_command(), env=app_env(home, port, **settings),
                                        stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                        start_new_session=True)
        app = cls(home, port, launcher, output)
        app.remember_processes()
        return app

    @property
    def cdp_url(self) -> str:
        """The DevTools endpoint of the window's Chromium."""
        return f"http://127.0.0.1:{self.port}"

    def wait_for_cdp(self, timeout: float = START_TIMEOUT_S) -> None:
        """Wait until the DevTools endpoint answers; fail with the app's output if it exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.remember_processes()
            if self.launcher.poll() is not None:
                raise Internal(f"the app exited with {self.launcher.returncode} "
                               f"while starting:\n{self.tail()}")
            try:
                # the URL is built from our own loopback port, never from input
                with urllib.request.urlopen(  # noqa: S310
                        f"{self.cdp_url}/json/version", timeout=2) as reply:
                    json.load(reply)
                    return
            except (OSError, urllib.error.URLError, ValueError):
                time.sleep(0.1)
        raise HubTimeout(f"no DevTools endpoint at {self.cdp_url} after {timeout:g} s:\n"
                         f"{self.tail()}")

    def app_process(self) -> psutil.Process:
        """The shell's own process (`python -m pajamas`), below xvfb-run if that is used."""
        root = psutil.Process(self.launcher.pid)
        for proc in [root, *root.children(recursive=True)]:
            try:
                if proc.cmdline()[1:] == ["-m", "pajamas"]:
                    return proc
            except psutil.Error:
                continue
        raise Internal(f"no `python -m pajamas` below pid {self.launcher.pid}:\n"
                       f"{self.tail()}")

    def core_pid(self) -> int:
        """The pid in the home's connection file."""
        return connection.read(self.home).pid

    def remember_processes(self) -> None:
        """Note every process below the launcher, to check later that each one is gone."""
        try:
            root = psutil.Process(self.launcher.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for proc in procs:
            try:
                self.seen.setdefault(proc.pid, proc.create_time())
            except psutil.NoSuchProcess:
                continue

    def terminate(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """SIGTERM the shell, as a session manager would, and wait for the app to exit."""
        if self.launcher.poll() is None:
            self.remember_processes()
            self.app_process().send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def wait(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """The app's exit code (xvfb-run passes the shell's on); fails after timeout."""
        try:
            return self.launcher.wait(timeout)
        except subprocess.TimeoutExpired:
            raise HubTimeout(f"the app did not exit within {timeout:g} s:\n"
                             f"{self.tail()}") from None

    def leftovers(self, grace: float = 10.0) -> list[psutil.Process]:
        """The app's processes still alive after grace seconds (zombies count as gone).

        The grace is for processes told to stop but not yet gone: xvfb-run, for one, signals
        Xvfb on its way out and does not wait for it.
        """
        deadline = time.monotonic() + grace
        while (alive := self._alive()) and time.monotonic() < deadline:
            time.sleep(0.1)
        return alive

    def _alive(self) -> list[psutil.Process]:
        alive = []
        for pid, created in self.seen.items():
            try:
                proc = psutil.Process(pid)
                if proc.create_time() == created and proc.status() != psutil.STATUS_ZOMBIE:
                    alive.append(proc)
            except psutil.NoSuchProcess:
                continue
        return alive

    def kill_leftovers(self) -> None:
        """Last resort after a failed test: no process of the app may outlive it."""
        for proc in self._alive():
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                continue
        if self.launcher.poll() is None:
            self.launcher.kill()
            self.launcher.wait()

    def tail(self, lines: int = 30) -> str:
        """The end of the app's output, for failure messages."""
        try:
            text = self.output.read_text(errors="replace")
        except OSError:
            return "(no output)"
        return "\n".join(text.splitlines()[-lines:])

    def display(self) -> tuple[str, str | None]:
        """The X display the window is on and its Xauthority file (under xvfb-run)."""
        env = self.app_process().environ()
        return env["DISPLAY"], env.get("XAUTHORITY")


def describe(procs: list[psutil.Process]) -> str:
    """Pid and command line of each process, for failure messages."""
    lines = []
    for proc in procs:
        try:
            lines.append(f"{proc.pid}: {' '.join(proc.cmdline())[:160]}")
        except psutil.Error:
            lines.append(f"{proc.pid}: (gone)")
    return "\n".join(lines)


def attach(playwright: Playwright, hub: HubApp) -> tuple[Browser, Page]:
    """Playwright attached to the window's own Chromium, and the window's page, loaded."""
    browser = playwright.chromium.connect_over_cdp(hub.cdp_url, no_defaults=True,
                                                   timeout=START_TIMEOUT_S * 1000)
    page = find_page(browser, hub)
    page.wait_for_load_state("load")
    return browser, page


def find_page(browser: Browser, hub: HubApp, timeout: float = START_TIMEOUT_S) -> Page:
    """The page whose URL is the hub's index.html, served by pywebview on 127.0.0.1."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for context in browser.contexts:
            for page in context.pages:
                if re.fullmatch(r"http://127\.0\.0\.1:\d+/index\.html(#.*)?", page.url):
                    return page
        time.sleep(0.1)
    urls = [p.url for c in browser.contexts for p in c.pages]
    raise HubTimeout(f"no index.html page among {urls} after {timeout:g} s:\n{hub.tail()}")
