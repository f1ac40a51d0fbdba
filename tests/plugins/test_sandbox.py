"""The containment of a host holds: files, network, rlimits, cgroup, signals (real hosts)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pajamas.plugins import channel
from pajamas.plugins.channel import ChannelError
from pajamas.rpc.client import Client
from tests.conftest import RunningCore
from tests.plugins.running import call, install
from tests.plugins.test_call import runtime_core, write

PROBE = """\
import os, resource, socket, signal

def _attempt(action):
    try:
        action()
    except (OSError, ValueError) as exc:
        return type(exc).__name__
    return "allowed"

def write_scratch():
    with open("note.txt", "w") as f:
        f.write("kept")
    return open("note.txt").read()

def write_at(path):
    return _attempt(lambda: open(path, "w").write("x"))

def read_at(path):
    return _attempt(lambda: open(path, "rb").read(1))

def list_at(path):
    return _attempt(lambda: os.listdir(path))

def connect(port):
    def go():
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    return _attempt(go)

def raise_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    return _attempt(lambda: resource.setrlimit(resource.RLIMIT_AS, (hard * 2, hard * 2)))

def leave_cgroup():
    return _attempt(lambda: open("/sys/fs/cgroup/pids/cgroup.procs", "w").write("0"))

def signal_pid(pid):
    return _attempt(lambda: os.kill(pid, signal.SIGTERM))
"""
FUNCTIONS = ("write_scratch", "write_at", "read_at", "list_at", "connect", "raise_limit",
             "leave_cgroup", "signal_pid")


@pytest.fixture
def sandboxed(home: Path, tmp_path: Path) -> Iterator[tuple[RunningCore, Client, str]]:
    """A core with the probe plugin enabled for a persona: (core, client, persona)."""
    folder = write(tmp_path / "probe", "probe", PROBE, FUNCTIONS)
    with runtime_core(home) as running, running.client() as client:
        persona = client.call("persona.create", {"name": "Ada"})["id"]
        install(client, folder, persona)
        yield running, client, persona


def run(client: Client, persona: str, function: str, **args: object) -> object:
    """The probe function's result."""
    return call(client, persona, "probe", function, args)["result"]


def test_the_plugin_writes_only_its_scratch_folder(sandboxed: tuple[RunningCore, Client, str],
                                                   tmp_path: Path) -> None:
    running, client, persona = sandboxed
    assert run(client, persona, "write_scratch") == "kept"
    assert (running.home / "plugin-data" / persona / "probe" / "note.txt").read_text() == "kept"
    for target in (tmp_path / "outside.txt", running.home / "hub.db-evil",
                   running.home / "plugins" / "probe" / "1.0.0" / "main.py", "/tmp/escape"):
        assert run(client, persona, "write_at", path=str(target)) == "PermissionError", target
    assert not (tmp_path / "outside.txt").exists()


def test_the_plugin_cannot_read_the_home_or_the_user_s_files(
        sandboxed: tuple[RunningCore, Client, str]) -> None:
    running, client, persona = sandboxed
    for secret in (running.home / "hub.db", running.home / "run" / "core.json",
                   Path.home() / ".bashrc", "/etc/passwd"):
        assert run(client, persona, "read_at", path=str(secret)) == "PermissionError", secret
    assert run(client, persona, "list_at", path=str(running.home)) == "PermissionError"
    assert run(client, persona, "list_at", path=str(running.home / "plugin-data")) == \
        "PermissionError"
    own = running.home / "plugins" / "probe" / "1.0.0" / "plugin.toml"
    assert run(client, persona, "read_at", path=str(own)) == "allowed"


def test_without_the_network_permission_nothing_is_reachable(
        sandboxed: tuple[RunningCore, Client, str]) -> None:
    import socket

    _, client, persona = sandboxed
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert run(client, persona, "connect", port=port) != "allowed"


def test_the_plugin_cannot_raise_its_limits_leave_its_cgroup_or_signal_the_core(
        sandboxed: tuple[RunningCore, Client, str]) -> None:
    running, client, persona = sandboxed
    assert run(client, persona, "raise_limit") == "ValueError"  # CPython's word for EPERM
    assert run(client, persona, "leave_cgroup") == "PermissionError"
    assert run(client, persona, "signal_pid", pid=running.process.pid) == "PermissionError"
    assert client.call("system.ping")["pong"] is True


def test_system_info_reports_the_containment_that_holds(
        sandboxed: tuple[RunningCore, Client, str]) -> None:
    _, client, persona = sandboxed
    run(client, persona, "write_scratch")
    containment = client.call("system.info")["containment"]
    for feature in ("rlimits", "process_group", "pids_cgroup", "network_namespace",
                    "user_namespace", "hidden_folders", "landlock", "no_new_privs",
                    "scratch_cwd", "seccomp", "forkserver"):
        assert containment[feature] is True, (feature, containment)
    assert all(isinstance(on, bool) for on in containment.values())
    assert client.call("system.info")["landlock_abi"] >= 1


def test_channel_frames_round_trip_and_malformed_ones_name_the_value() -> None:
    frame = {"t": "call", "fn": "run", "args": {"x": [1, "two", b"3", None, 4.5]}}
    encoded = channel.encode(frame)
    assert channel.decode(encoded[channel.HEADER.size:]) == frame
    with pytest.raises(ChannelError, match="with a text 't'"):
        channel.decode(channel.encode({"x": 1})[channel.HEADER.size:])  # type: ignore[dict-item]
    with pytest.raises(ChannelError, match="not msgpack"):
        channel.decode(b"\xc1")
    assert os.path.exists("/proc/self")
