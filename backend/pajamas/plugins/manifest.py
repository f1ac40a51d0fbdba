"""`plugin.toml`: parsed and checked into a frozen `Manifest`, or refused with a clear error.

Every error is an `InvalidParams` whose message names the table, the key and the rule, e.g.
"plugin.toml: [quotas] memory_mb must be a whole number from 16 to 4096, not 'lots'".
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath
from typing import Any, Final

from pajamas.errors import InvalidParams
from pajamas.plugins import params

FILENAME: Final = "plugin.toml"
API_VERSION: Final = 1
NAME_RULE: Final = re.compile(r"[a-z0-9-]{2,40}")
FUNCTION_RULE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
VERSION_RULE: Final = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+-]{0,39}")
MAX_DESCRIPTION: Final = 500
PERMISSIONS: Final = ("network", "memory_read", "memory_write")
#: Each quota's smallest and largest value a manifest may ask for.
QUOTA_RANGES: Final[dict[str, tuple[int, int]]] = {
    "memory_mb": (16, 4096),
    "cpu_s": (1, 3600),
    "wall_s": (1, 3600),
    "processes": (0, 64),
    "open_files": (8, 4096),
    "output_kb": (1, 65536),
    "disk_mb": (1, 10240),
}
COMMAND_RULE: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
TABLES: Final = ("plugin", "functions", "permissions", "quotas", "commands")
PLUGIN_KEYS: Final = ("name", "version", "description", "entry", "api")
FUNCTION_KEYS: Final = ("description", "pure", "params")


@dataclass(frozen=True)
class Function:
    """A callable function the manifest declares.

    `pure` (same args, same result) lets the hub answer a repeated call from its cache; it
    defaults to false, the safe side, like the permissions.  `params`, a JSON schema of its
    keyword arguments (params.py), lets the chat offer it to a model as a tool; None: not
    offered.
    """

    description: str
    pure: bool = False
    params: dict[str, Any] | None = None

    def to_map(self) -> dict[str, Any]:
        """The function as plain maps (`params` only when it has them)."""
        shown: dict[str, Any] = {"description": self.description, "pure": self.pure}
        if self.params is not None:
            shown["params"] = self.params
        return shown


@dataclass(frozen=True)
class Permissions:
    """What the plugin may reach beyond its own folders; everything defaults to no."""

    network: bool = False
    memory_read: bool = False
    memory_write: bool = False


@dataclass(frozen=True)
class Quotas:
    """Limits of the plugin's host process, per call where it says so."""

    memory_mb: int = 256
    cpu_s: int = 5
    wall_s: int = 10
    processes: int = 1
    open_files: int = 64
    output_kb: int = 1024
    disk_mb: int = 16


@dataclass(frozen=True)
class Manifest:
    """A checked plugin.toml."""

    name: str
    version: str
    description: str
    entry: str
    api: int
    functions: dict[str, Function] = field(default_factory=dict)
    permissions: Permissions = Permissions()
    quotas: Quotas = Quotas()
    commands: dict[str, str] = field(default_factory=dict)  # chat short form -> function

    def to_map(self) -> dict[str, Any]:
        """The manifest as plain maps (for JSON and the wire)."""
        shown = asdict(self)
        shown["functions"] = {name: f.to_map() for name, f in self.functions.items()}
        return shown


def parse(text: str, defaults: Quotas) -> Manifest:
    """The manifest in a plugin.toml's text; quotas left out take the `defaults`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _error("manifest", f"plugin.toml is not valid TOML: {exc}") from exc
    _known("", data, TABLES)
    plugin = _table(data, "plugin", required=True)
    _known("[plugin] ", plugin, PLUGIN_KEYS)
    functions = _functions(_table(data, "functions", required=True))
    return Manifest(
        name=_name(plugin), version=_version(plugin),
        description=_text(plugin, "[plugin]", "description"), entry=_entry(plugin),
        api=_api(plugin), functions=functions,
        permissions=_permissions(_table(data, "permissions")),
        quotas=_quotas(_table(data, "quotas"), defaults),
        commands=_commands(_table(data, "commands"), functions),
    )


def _error(key: str, message: str) -> InvalidParams:
    return InvalidParams(f"plugin.toml: {message}", field=key)


def _known(where: str, data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for key in data:
        if key not in allowed:
            raise _error(key, f"{where}{key} is not a known key; the keys are "
                              f"{', '.join(allowed)}")


def _table(data: dict[str, Any], name: str, *, required: bool = False) -> dict[str, Any]:
    if name not in data:
        if required:
            raise _error(name, f"[{name}] is missing; see docs/plugins.md")
        return {}
    table = data[name]
    if not isinstance(table, dict):
        raise _error(name, f"[{name}] must be a table, not {table!r}")
    return table


def _required(table: dict[str, Any], where: str, key: str) -> Any:
    if key not in table:
        raise _error(key, f"{where} {key} is missing")
    return table[key]


def _text(table: dict[str, Any], where: str, key: str) -> str:
    value = _required(table, where, key)
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= MAX_DESCRIPTION:
        raise _error(key, f"{where} {key} must be text of 1 to {MAX_DESCRIPTION} characters, "
                          f"not {value!r}")
    return value


def _name(plugin: dict[str, Any]) -> str:
    value = _required(plugin, "[plugin]", "name")
    if not isinstance(value, str) or not NAME_RULE.fullmatch(value):
        raise _error("name", "[plugin] name must be 2 to 40 characters of a-z, 0-9 and -, "
                             f"not {value!r}")
    return value


def _version(plugin: dict[str, Any]) -> str:
    value = _required(plugin, "[plugin]", "version")
    if not isinstance(value, str) or not VERSION_RULE.fullmatch(value):
        raise _error("version", "[plugin] version must be text like \"1.0.0\" (letters, digits, "
                                f". + -, up to 40), not {value!r}")
    return value


def _entry(plugin: dict[str, Any]) -> str:
    value = _required(plugin, "[plugin]", "entry")
    path = PurePosixPath(value) if isinstance(value, str) else None
    if (path is None or path.is_absolute() or ".." in path.parts or "\\" in str(value)
            or path.suffix != ".py" or not FUNCTION_RULE.fullmatch(path.stem)):
        raise _error("entry", "[plugin] entry must be a .py module inside the plugin's folder "
                              f"(a relative path without ..), not {value!r}")
    return str(path)


def _api(plugin: dict[str, Any]) -> int:
    value = _required(plugin, "[plugin]", "api")
    if value != API_VERSION or isinstance(value, bool):
        raise _error("api", f"[plugin] api must be {API_VERSION}, not {value!r}")
    return API_VERSION


def _functions(table: dict[str, Any]) -> dict[str, Function]:
    if not table:
        raise _error("functions", "[functions] must declare at least one function, "
                                  "as [functions.NAME]")
    return {name: _function(name, spec) for name, spec in table.items()}


def _function(name: str, spec: Any) -> Function:
    where = f"[functions.{name}]"
    if not FUNCTION_RULE.fullmatch(name) or name.startswith("_"):
        raise _error(name, f"{where} is not a Python function name (letters, digits, _; "
                           "not starting with _ or a digit)")
    if not isinstance(spec, dict):
        raise _error(name, f"{where} must be a table, not {spec!r}")
    _known(f"{where} ", spec, FUNCTION_KEYS)
    pure = spec.get("pure", False)
    if not isinstance(pure, bool):
        raise _error("pure", f"{where} pure must be true or false, not {pure!r}")
    checked = params.check(name, spec["params"]) if "params" in spec else None
    return Function(description=_text(spec, where, "description"), pure=pure, params=checked)


def _commands(table: dict[str, Any], functions: dict[str, Function]) -> dict[str, str]:
    for command, function in table.items():
        if not COMMAND_RULE.fullmatch(command):
            raise _error(command, f"[commands] {command!r} must be 1 to 40 characters of a-z, "
                                  "0-9, _ and -, starting with a letter or digit")
        if not isinstance(function, str) or function not in functions:
            raise _error(command, f"[commands] {command} must name a function of [functions] "
                                  f"({', '.join(sorted(functions))}), not {function!r}")
    return dict(table)


def _permissions(table: dict[str, Any]) -> Permissions:
    _known("[permissions] ", table, PERMISSIONS)
    for key, value in table.items():
        if not isinstance(value, bool):
            raise _error(key, f"[permissions] {key} must be true or false, not {value!r}")
    return Permissions(**table)


def _quotas(table: dict[str, Any], defaults: Quotas) -> Quotas:
    _known("[quotas] ", table, tuple(QUOTA_RANGES))
    for key, value in table.items():
        check_quota(key, value)
    return Quotas(**{**asdict(defaults), **table})


def check_quota(key: str, value: Any) -> int:
    """value if it is a whole number within the quota's range, else `InvalidParams`."""
    low, high = QUOTA_RANGES[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _error(key, f"[quotas] {key} must be a whole number from {low} to {high}, "
                          f"not {value!r}")
    return value
