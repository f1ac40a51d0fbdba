"""The suite on any machine: nothing Linux-only at import time, what a machine lacks is
unsupported here (never an error or a pass), Windows' transport exercised here by a setting,
and cold starts where the OS allows them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pajamas.errors import ConfigError
from pajamas.perf import machine, pagecache, plugin_fixtures, runner
from pajamas.perf.benchmark import NotRun
from pajamas.rpc import connection

PACKAGE = Path(__file__).resolve().parents[2] / "backend" / "pajamas"

# Refuses a POSIX-only module to any importer inside the package, as Windows would, then
# imports what `pajamas perf` imports.  Third-party libraries choose their own platform code.
IMPORT_AS_ON_WINDOWS = """
import importlib, sys
PACKAGE = sys.argv[1]
POSIX_ONLY = {"resource", "fcntl", "termios", "pwd", "grp", "posix"}

class AsOnWindows:
    def find_spec(self, name, path=None, target=None):
        if name in POSIX_ONLY:
            frame = sys._getframe(1)
            while frame and "importlib" in frame.f_code.co_filename:
                frame = frame.f_back
            if frame and frame.f_code.co_filename.startswith(PACKAGE):
                raise ImportError(f"{frame.f_code.co_filename} imports {name}")
        return None

sys.meta_path.insert(0, AsOnWindows())
for module in ("pajamas.cli", "pajamas.perf.suite", "pajamas.perf.runner",
               "pajamas.perf.html_report", "pajamas.perf.commands", "pajamas.perf.methods"):
    importlib.import_module(module)
print("imported")
"""


def test_the_suite_imports_nothing_posix_only_at_import_time() -> None:
    done = subprocess.run([sys.executable, "-c", IMPORT_AS_ON_WINDOWS, str(PACKAGE)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "imported" in done.stdout, done.stderr[-2000:]


def test_the_machine_record_names_what_the_issue_asks() -> None:
    record = machine.machine_record()
    assert record["os"] and record["cpu_model"] and record["python"] and record["hub_version"]
    assert record["cores"] and record["memory_bytes"] and record["memory_bytes"] > 2**20
    line = machine.describe(record)
    assert record["cpu_model"] in line and "GB" in line
    assert machine.same_machine(record, dict(record))
    assert not machine.same_machine(record, {**record, "hostname": "elsewhere"})


def test_plugins_are_unsupported_where_there_is_no_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "fork")
    with pytest.raises(NotRun, match="no fork"):
        plugin_fixtures.require_hosts()


def test_the_page_cache_is_dropped_only_where_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert not pagecache.can_drop() and pagecache.drop() is False
    assert pagecache.label(False) == {"page_cache": "warm"}
    assert pagecache.label(True) == {"page_cache": "cold"}


def test_the_transport_setting_takes_tcp_or_auto(tmp_path: Path) -> None:
    assert connection.endpoints(tmp_path, "tcp") == ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*")
    if os.name == "posix":
        assert connection.endpoints(tmp_path, "auto")[0].startswith("ipc://")
    with pytest.raises(ConfigError, match="rpc_transport"):
        connection.endpoints(tmp_path, "udp")


def test_windows_transport_runs_here_for_real() -> None:
    """rpc.roundtrip_tcp starts its core with rpc_transport = "tcp": a ping over loopback tcp
    with the key, as on Windows; the start-up benchmark says how it measured."""
    record = runner.run(["rpc.roundtrip_tcp", "startup.core_ready"], scale=0.02)
    tcp, start = record["benchmarks"]
    assert tcp["error"] is None and tcp["n"] == 100 and tcp["extra"]["raw_zmq_p50_us"] > 0
    assert tcp["passed"] is None  # no budget yet: measured, never failed
    assert start["error"] is None
    assert start["extra"]["page_cache"] == ("cold" if pagecache.can_drop() else "warm")
