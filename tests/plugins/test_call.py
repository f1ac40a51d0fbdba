"""plugin.call and plugin.status through a real core, with real hosts of tiny plugins."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from pajamas.errors import Forbidden, InvalidParams, NotFound, PluginFailed
from pajamas.rpc.client import Subscriber
from tests.conftest import PATIENCE_S, RunningCore, core_env
from tests.plugins.running import call, install, plugin_core

HEADER = """\
[plugin]
name = "{name}"
version = "1.0.0"
description = "A test plugin."
entry = "main.py"
api = 1
"""


def write(folder: Path, name: str, code: str, functions: tuple[str, ...] = ("run",), *,
          permissions: dict[str, bool] | None = None, quotas: dict[str, int] | None = None,
          ) -> Path:
    """A plugin folder declaring functions, with code as its main.py."""
    folder.mkdir(parents=True)
    toml = HEADER.format(name=name)
    for function in functions:
        toml += f'\n[functions.{function}]\ndescription = "Test."\npure = false\n'
    toml += "\n[permissions]\n" + "".join(f"{k} = {str(v).lower()}\n"
                                           for k, v in (permissions or {}).items())
    toml += "\n[quotas]\n" + "".join(f"{k} = {v}\n" for k, v in (quotas or {}).items())
    (folder / "plugin.toml").write_text(toml)
    (folder / "main.py").write_text(code)
    return folder


#: No model loading in the background at start: these cores stop promptly (the memory tests
#: load it on their first memory call).
LAZY = {"PAJAMAS_MEMORY_PRELOAD": "0"}


@contextmanager
def runtime_core(home: Path, **extra: str) -> Iterator[RunningCore]:
    """A core fit for plugin calls (see tests/plugins/running.py), without memory preload."""
    with plugin_core(home, **{**LAZY, **extra}) as running:
        yield running


ECHO = """\
import os

def run(x=1):
    return {"x": x, "pid": os.getpid(), "cwd": os.getcwd()}

def boom():
    raise ValueError("bad thing happened")

def odd():
    return {1, 2}

def big():
    return "x" * 4096

def chatty(hub):
    hub.progress(0.5)
    hub.log("half", "way")
    print("to stdout")
    return "done"
"""
ECHO_FUNCTIONS = ("run", "boom", "odd", "big", "chatty", "missing")


@pytest.fixture
def plugin_home(home: Path) -> Iterator[RunningCore]:
    """A core fit for plugin calls, idle hosts kept long."""
    with runtime_core(home) as running:
        yield running


@pytest.fixture
def persona(plugin_home: RunningCore) -> str:
    """A persona's id."""
    with plugin_home.client() as client:
        return str(client.call("persona.create", {"name": "Ada"})["id"])


@pytest.fixture
def echo(plugin_home: RunningCore, persona: str, tmp_path: Path) -> str:
    """The echo plugin, installed and enabled for the persona."""
    folder = write(tmp_path / "echo", "echo", ECHO, ECHO_FUNCTIONS, quotas={"output_kb": 2})
    with plugin_home.client() as client:
        install(client, folder, persona)
    return "echo"


def test_a_call_returns_the_result_and_its_usage(plugin_home: RunningCore, persona: str,
                                                 echo: str) -> None:
    with plugin_home.client() as client:
        reply = call(client, persona, echo, "run", {"x": 5})
    assert reply["result"]["x"] == 5
    usage = reply["usage"]
    assert set(usage) == {"cpu_s", "wall_s", "peak_rss"}
    assert usage["cpu_s"] >= 0 and usage["wall_s"] > 0 and usage["peak_rss"] > 1024 * 1024
    assert Path(reply["result"]["cwd"]) == (plugin_home.home / "plugin-data" / persona / echo)


def test_a_warm_host_is_reused_and_each_persona_has_its_own(plugin_home: RunningCore,
                                                           persona: str, echo: str) -> None:
    with plugin_home.client() as client:
        first = call(client, persona, echo, "run")["result"]["pid"]
        assert call(client, persona, echo, "run")["result"]["pid"] == first
        other = client.call("persona.create", {"name": "Bob"})["id"]
        client.call("plugin.enable", {"persona": other, "name": echo})
        assert call(client, other, echo, "run")["result"]["pid"] != first
        items = client.call("plugin.status")["items"]
        assert {(i["persona"], i["state"]) for i in items} == {(persona, "idle"),
                                                               (other, "idle")}
        mine = client.call("plugin.status", {"persona": persona})["items"]
    assert [(i["name"], i["pid"], i["calls"], i["kills"]) for i in mine] == [
        (echo, first, 2, 0)]


def test_bad_calls_are_refused_with_what_was_wrong(plugin_home: RunningCore, persona: str,
                                                    echo: str) -> None:
    with plugin_home.client() as client:
        with pytest.raises(NotFound, match="declares no function 'nope'"):
            call(client, persona, echo, "nope")
        with pytest.raises(NotFound, match="no plugin named 'other'"):
            call(client, persona, "other", "run")
        with pytest.raises(NotFound):
            call(client, "no-such-persona", echo, "run")
        with pytest.raises(InvalidParams, match="timeout_s"):
            call(client, persona, echo, "run", timeout_s=-1)
        client.call("plugin.disable", {"persona": persona, "name": echo})
        with pytest.raises(Forbidden, match="is not enabled for persona") as disabled:
            call(client, persona, echo, "run")
        assert disabled.value.data["hint"] == "plugin.enable"


def test_a_plugin_exception_reaches_the_caller_with_its_traceback(
        plugin_home: RunningCore, persona: str, echo: str) -> None:
    with plugin_home.client() as client:
        with pytest.raises(PluginFailed) as caught:
            call(client, persona, echo, "boom")
        data = caught.value.data
        assert data["reason"] == "exception" and data["exception"] == "ValueError"
        assert data["message"] == "bad thing happened"
        assert 'raise ValueError("bad thing happened")' in data["traceback"]
        with pytest.raises(PluginFailed, match="no function 'missing'"):
            call(client, persona, echo, "missing")
        with pytest.raises(PluginFailed, match="not msgpack-serializable") as odd:
            call(client, persona, echo, "odd")
        assert odd.value.data["reason"] == "exception"


def test_a_plugin_that_fails_to_import_says_why(plugin_home: RunningCore, persona: str,
                                                tmp_path: Path) -> None:
    folder = write(tmp_path / "broken", "broken", "raise RuntimeError('broken import')\n")
    with plugin_home.client() as client:
        install(client, folder, persona)
        with pytest.raises(PluginFailed, match="failed to load") as caught:
            call(client, persona, "broken", "run")
    assert caught.value.data["exception"] == "RuntimeError"
    assert caught.value.data["message"] == "broken import"


def test_a_result_over_output_kb_is_a_quota_error(plugin_home: RunningCore, persona: str,
                                                  echo: str) -> None:
    from pajamas.errors import QuotaExceeded

    with plugin_home.client() as client, pytest.raises(QuotaExceeded) as caught:
        call(client, persona, echo, "big")
    assert caught.value.data["quota"] == "output_kb" and caught.value.data["limit"] == 2


def test_progress_and_log_are_events(plugin_home: RunningCore, persona: str,
                                     echo: str) -> None:
    with plugin_home.client() as client, events(plugin_home) as seen:
        assert call(client, persona, echo, "chatty")["result"] == "done"
        topics = dict(until(seen, lambda got: "plugin.log" in dict(got)))
    assert topics["plugin.started"]["persona"] == persona
    assert topics["plugin.progress"] == {"persona": persona, "name": echo, "fraction": 0.5}
    assert topics["plugin.log"]["message"] == "half way"


def test_a_modified_plugin_is_refused(plugin_home: RunningCore, persona: str,
                                      echo: str) -> None:
    entry = plugin_home.home / "plugins" / echo / "1.0.0" / "main.py"
    entry.write_text(entry.read_text() + "\n# changed\n")
    with plugin_home.client() as client, pytest.raises(PluginFailed) as caught:
        call(client, persona, echo, "run")
    assert caught.value.data["reason"] == "modified"
    assert "main.py" in caught.value.message


def test_uninstall_stops_the_host(plugin_home: RunningCore, persona: str, echo: str) -> None:
    with plugin_home.client() as client, events(plugin_home) as seen:
        pid = call(client, persona, echo, "run")["result"]["pid"]
        client.call("plugin.uninstall", {"name": echo})
        stopped = dict(until(seen, lambda got: "plugin.stopped" in dict(got)))
        assert stopped["plugin.stopped"] == {"persona": persona, "name": echo, "pid": pid,
                                             "reason": "uninstalled"}
        assert client.call("plugin.status")["items"][0]["state"] == "stopped"


def test_an_idle_host_is_stopped(home: Path, tmp_path: Path) -> None:
    folder = write(tmp_path / "echo", "echo", ECHO, ECHO_FUNCTIONS)
    with (runtime_core(home, PAJAMAS_PLUGIN_IDLE_S="0.3") as running,
          running.client() as client, events(running) as seen):
        persona = client.call("persona.create", {"name": "Ada"})["id"]
        install(client, folder, persona)
        first = call(client, persona, "echo", "run")["result"]["pid"]

        def first_stopped(got: list[tuple[str, Any]]) -> bool:
            # On a busy machine an earlier host may have come and gone first: wait for this one.
            return any(topic == "plugin.stopped" and data["pid"] == first for topic, data in got)

        stopped = next(data for topic, data in until(seen, first_stopped)
                       if topic == "plugin.stopped" and data["pid"] == first)
        assert stopped["reason"] == "idle"
        assert call(client, persona, "echo", "run")["result"]["pid"] != first


def test_persona_deletion_stops_its_hosts(plugin_home: RunningCore, persona: str,
                                          echo: str) -> None:
    with plugin_home.client() as client:
        call(client, persona, echo, "run")
        scratch = plugin_home.home / "plugin-data" / persona
        assert scratch.is_dir()
        client.call("persona.delete", {"id": persona})
        assert client.call("plugin.status")["items"] == []
    assert not scratch.exists()


@contextmanager
def events(running: RunningCore, topic: str = "plugin.") -> Iterator[Subscriber]:
    """A subscriber to the core's events under topic, live before the block starts."""
    subscriber = running.subscribe(topic)
    try:
        yield subscriber
    finally:
        subscriber.close()


def until(subscriber: Subscriber, done: Callable[[list[tuple[str, Any]]], bool],
          timeout: float = PATIENCE_S) -> list[tuple[str, Any]]:
    """The (topic, data) events received until done(events) holds."""
    got: list[tuple[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not done(got):
        event = subscriber.receive(timeout=max(0.0, deadline - time.monotonic()))
        assert event is not None, f"timed out; got {got}"
        got.append((event.topic, event.data))
    return got


def test_the_cli_calls_a_plugin_by_persona_name_and_shows_status(
        plugin_home: RunningCore, persona: str, echo: str) -> None:
    out = _pajamas(plugin_home, "plugin", "call", "Ada", echo, "run", "--args", '{"x": 3}')
    assert json.loads(out)["x"] == 3
    status = _pajamas(plugin_home, "plugin", "status", "Ada").splitlines()
    assert status[0].startswith("plugin\tpersona\tpid\tstate")
    assert status[1].split("\t")[:2] == [echo, persona]
    refused = subprocess.run([sys.executable, "-m", "pajamas", "plugin", "call", "Ada", echo,
                              "run", "--args", "[1]"], env=core_env(plugin_home.home),
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "--args must be a JSON map" in refused.stderr


def _pajamas(core: RunningCore, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "pajamas", *args], env=core_env(core.home),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout
