"""Every setting as the window shows it, and edits of `<home>/settings.toml`.

A core reads its settings once, when it starts; an edit is written to the file and takes
effect when the core (or, for the window's own settings, the window) starts again.  An edit
changes one line of the file and keeps the rest (comments included); the file is re-read
and checked before it replaces the old one, so a bad value never reaches it.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal, TypedDict

from pajamas.config import (
    ENV_PREFIX,
    SETTINGS_FILE,
    Settings,
    check_value,
    declared,
    read_file,
    sources,
)
from pajamas.errors import ConfigError

#: Settings the window and the commands read when they start, not the core.
WINDOW_SETTINGS: Final = frozenset({"window_width", "window_height", "core_start_timeout_s"})

Applies = Literal["core_restart", "window_restart"]


class SettingView(TypedDict):
    """One setting, for settings.list."""

    name: str
    type: str
    help: str
    default: Any
    minimum: float | None
    value: Any  # in force in this core
    next_value: Any  # what a restart would give (file and environment now)
    source: str  # "default", "settings.toml" or the PAJAMAS_<NAME> variable
    applies: Applies
    restart_needed: bool


def list_settings(home: Path, in_force: Settings,
                  environ: Mapping[str, str] | None = None) -> list[SettingView]:
    """Every declared setting: help, default, the value in force, the next one and its source."""
    from_where = sources(home, environ)
    in_file = read_file(home)
    views = []
    for info in declared():
        source = from_where[info.name]
        value = getattr(in_force, info.name)
        if source == SETTINGS_FILE:
            nxt = check_value(info.name, in_file[info.name], source=str(home / SETTINGS_FILE))
        elif source.startswith(ENV_PREFIX):
            nxt = value  # the variable is read at start: this core's value is the next too
        else:
            nxt = info.default
        applies: Applies = "window_restart" if info.name in WINDOW_SETTINGS else "core_restart"
        views.append(SettingView(
            name=info.name, type=info.type, help=info.help, default=info.default,
            minimum=info.minimum, value=value, next_value=nxt, source=source, applies=applies,
            restart_needed=applies == "core_restart" and nxt != value))
    return views


def set_setting(home: Path, name: str, value: Any,
                environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Write name = value to settings.toml (None removes the line: the default again).

    Returns {"name", "value", "source", "overridden_by"}: overridden_by names the
    environment variable that wins over the file, if one is set.
    """
    path = home / SETTINGS_FILE
    source = f"{path} (as edited)"
    check_value_name(name, source)
    typed = None if value is None else check_value(name, value, source=source)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    new = edit_line(text, name, None if typed is None else toml_value(typed))
    try:
        parsed = tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:  # e.g. the setting sits in a table: not ours to edit
        raise ConfigError(f"cannot edit {name} in {path}: {exc}; edit the file by hand",
                          setting=name) from exc
    for key, raw in parsed.items():
        check_value(key, raw, source=source)
    write_atomically(path, new)
    now = sources(home, environ)[name]
    return {"name": name, "value": typed, "source": now,
            "overridden_by": now if now.startswith(ENV_PREFIX) else None}


def check_value_name(name: str, source: str) -> None:
    """`ConfigError` unless name is a declared setting."""
    if name not in {info.name for info in declared()}:
        raise ConfigError(f"unknown setting {name!r} in {source}", setting=name)


def toml_value(value: bool | int | float | str) -> str:
    """A setting's value written as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)  # JSON's string escapes are TOML's too


def edit_line(text: str, name: str, value: str | None) -> str:
    """text with the top-level `name = …` line set to value (None: removed), else appended."""
    pattern = re.compile(rf"^\s*{re.escape(name)}\s*=.*$", re.MULTILINE)
    lines = text.splitlines()
    first_table = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")),
                       len(lines))
    for i in range(first_table):
        if pattern.match(lines[i]):
            if value is None:
                del lines[i]
            else:
                lines[i] = f"{name} = {value}"
            return "\n".join(lines) + "\n"
    if value is not None:
        lines.insert(first_table, f"{name} = {value}")
    return "\n".join(lines) + ("\n" if lines else "")


def write_atomically(path: Path, text: str) -> None:
    """Replace path's text in one step, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)
