"""settings.list and settings.set: every setting with its source; edits of settings.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pajamas.config import Settings, declared, load_settings
from pajamas.errors import ConfigError, InvalidParams
from pajamas.rpc.client import Client
from pajamas.settings.service import edit_line, list_settings, set_setting, toml_value
from tests.conftest import RunningCore


def test_every_declared_setting_is_listed_with_its_source(home: Path) -> None:
    (home / "settings.toml").write_text("workers = 3\n")
    views = list_settings(home, Settings(), {"PAJAMAS_LOG_LEVEL": "DEBUG"})
    assert [v["name"] for v in views] == [info.name for info in declared()]
    by_name = {v["name"]: v for v in views}
    assert by_name["workers"]["source"] == "settings.toml"
    assert by_name["workers"]["next_value"] == 3
    assert by_name["workers"]["value"] == 4  # this core started before the edit
    assert by_name["workers"]["restart_needed"] is True
    assert by_name["log_level"]["source"] == "PAJAMAS_LOG_LEVEL"
    assert by_name["window_width"]["applies"] == "window_restart"
    assert by_name["window_width"]["restart_needed"] is False
    assert by_name["max_message_bytes"]["minimum"] == 1024


def test_an_edit_changes_one_line_and_keeps_the_comments(home: Path) -> None:
    path = home / "settings.toml"
    path.write_text("# my settings\nworkers = 3  # two cores\nlog_level = \"INFO\"\n")
    set_setting(home, "workers", 6, {})
    set_setting(home, "debug_methods", True, {})
    text = path.read_text()
    assert text.startswith("# my settings\nworkers = 6\nlog_level")
    assert load_settings(home, {}).workers == 6
    assert load_settings(home, {}).debug_methods is True
    set_setting(home, "workers", None, {})
    assert "workers" not in tomllib.loads(path.read_text())


@pytest.mark.parametrize(("name", "value", "words"), [
    ("workers", "many", "must be int"),
    ("workers", 0, "at least 1"),
    ("no_such_setting", 1, "unknown setting"),
    ("debug_methods", 1, "must be bool"),
])
def test_a_bad_value_is_refused_and_the_file_is_untouched(home: Path, name: str, value: object,
                                                          words: str) -> None:
    path = home / "settings.toml"
    path.write_text("workers = 3\n")
    with pytest.raises(ConfigError, match=words):
        set_setting(home, name, value, {})
    assert path.read_text() == "workers = 3\n"


def test_values_are_written_as_toml_that_reads_back() -> None:
    for value in [True, False, 0, 12, 1.5, 1e-9, "tab\t \"quoted\" é \\ \n"]:
        assert tomllib.loads(f"x = {toml_value(value)}")["x"] == value
    assert edit_line("", "workers", "2") == "workers = 2\n"
    assert edit_line("[table]\na = 1\n", "workers", "2") == "workers = 2\n[table]\na = 1\n"


def test_the_methods_over_the_protocol(core: RunningCore, client: Client) -> None:
    listed = client.call("settings.list", {"limit": 1000})
    assert listed["total"] == len(listed["items"]) == len(list(declared()))
    page = client.call("settings.list", {"offset": 2, "limit": 3})
    assert [s["name"] for s in page["items"]] == [s["name"] for s in listed["items"][2:5]]
    workers = next(s for s in listed["items"] if s["name"] == "workers")
    assert workers["source"] == "PAJAMAS_WORKERS"  # the test core's environment
    result = client.call("settings.set", {"name": "window_width", "value": 1000})
    assert result == {"name": "window_width", "value": 1000, "source": "settings.toml",
                      "overridden_by": None}
    assert "window_width = 1000" in (core.home / "settings.toml").read_text()
    result = client.call("settings.set", {"name": "workers", "value": 3})
    assert result["overridden_by"] == "PAJAMAS_WORKERS"
    with pytest.raises(InvalidParams, match="must be int"):
        client.call("settings.set", {"name": "workers", "value": "three"})


def test_system_restart_stops_the_core(home: Path) -> None:
    from tests.conftest import start

    running = start(home)
    with running.client() as client:
        assert client.call("system.restart") == {"restarting": True, "pid": running.process.pid}
    assert running.process.wait(30) == 0
