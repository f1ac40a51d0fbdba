"""Settings: declared once, loaded from defaults, settings.toml and PAJAMAS_<NAME>."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pajamas import config
from pajamas.errors import ConfigError


def test_defaults_without_file_or_env(tmp_path: Path) -> None:
    assert config.load_settings(tmp_path, {}) == config.Settings()


def test_file_then_env_precedence(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text("workers = 7\nrequest_timeout_s = 3\n")
    settings = config.load_settings(tmp_path, {"PAJAMAS_WORKERS": "9"})
    assert settings.workers == 9 and settings.request_timeout_s == 3.0
    where = config.sources(tmp_path, {"PAJAMAS_WORKERS": "9"})
    assert where["request_timeout_s"] == "settings.toml" and where["workers"] == "PAJAMAS_WORKERS"


@pytest.mark.parametrize(("env", "needle"), [
    ({"PAJAMAS_WORKERS": "many"}, "workers"),
    ({"PAJAMAS_WORKERS": "0"}, "at least 1"),
    ({"PAJAMAS_DEBUG_METHODS": "maybe"}, "true or false"),
])
def test_bad_env_values_name_the_setting(tmp_path: Path, env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        config.load_settings(tmp_path, env)


def test_unknown_and_mistyped_file_keys(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text("wrokers = 2\n")
    with pytest.raises(ConfigError, match="unknown setting 'wrokers'"):
        config.load_settings(tmp_path, {})
    (tmp_path / "settings.toml").write_text('workers = "2"\n')
    with pytest.raises(ConfigError, match="must be int"):
        config.load_settings(tmp_path, {})
    (tmp_path / "settings.toml").write_text("workers = [\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load_settings(tmp_path, {})


def test_every_setting_is_documented() -> None:
    for info in config.declared():
        assert info.help.endswith(".") and len(info.help) > 15, info.name
        assert info.type in {"int", "float", "bool", "str"}, info.name


def test_home_from_env_else_platform_folder(tmp_path: Path) -> None:
    assert config.resolve_home({"PAJAMAS_HOME": str(tmp_path)}) == tmp_path.resolve()
    assert config.resolve_home({}).name == config.APP_NAME


def test_a_new_home_is_private(tmp_path: Path) -> None:
    home = tmp_path / "a" / "home"
    config.prepare_home(home)
    assert home.stat().st_mode & 0o777 == 0o700
    assert config.home_is_private(home)


def test_an_open_hub_home_is_made_private_and_another_folder_is_left_alone(
        tmp_path: Path) -> None:
    hub, other = tmp_path / "hub", tmp_path / "shared"
    for folder in (hub, other):
        folder.mkdir(mode=0o755)
        folder.chmod(0o755)
    (hub / "hub.db").write_bytes(b"")
    (other / "notes.txt").write_text("someone else's")
    config.prepare_home(hub)
    config.prepare_home(other)
    assert hub.stat().st_mode & 0o777 == 0o700
    assert other.stat().st_mode & 0o777 == 0o755 and not config.home_is_private(other)


def test_the_command_line_makes_its_home_private(tmp_path: Path) -> None:
    home = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "pajamas", "settings"], check=True, capture_output=True,
                   env={"PAJAMAS_HOME": str(home)})
    assert home.stat().st_mode & 0o777 == 0o700


def test_settings_command_lists_values_and_sources(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "pajamas", "settings"], capture_output=True,
                         text=True, env={"PAJAMAS_HOME": str(tmp_path), "PAJAMAS_WORKERS": "3"},
                         check=True).stdout
    assert "workers = 3" in out and "PAJAMAS_WORKERS" in out
    for info in config.declared():
        assert info.name in out


def test_bad_setting_is_a_clear_cli_error(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pajamas", "settings"], capture_output=True,
                          text=True, env={"PAJAMAS_HOME": str(tmp_path), "PAJAMAS_WORKERS": "x"})
    assert done.returncode == 2 and "setting workers" in done.stderr
