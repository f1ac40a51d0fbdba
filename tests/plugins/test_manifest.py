"""plugin.toml: valid manifests parse; each malformed one is refused naming its key and rule."""

from __future__ import annotations

from typing import Any

import pytest

from pajamas.errors import InvalidParams
from pajamas.plugins.manifest import Function, Permissions, Quotas, parse
from tests.plugins.conftest import TEXT_STATS

DEFAULTS = Quotas(memory_mb=300, cpu_s=6, wall_s=11, processes=2, open_files=70,
                  output_kb=900, disk_mb=20)
GOOD: dict[str, dict[str, Any]] = {
    "plugin": {"name": "text-stats", "version": "1.0.0", "description": "Counts.",
               "entry": "main.py", "api": 1},
    "functions": {"count": {"description": "Count.", "pure": True}},
}


def toml(data: dict[str, dict[str, Any]]) -> str:
    """A tiny TOML writer for the tables these tests use (strings, ints, bools)."""
    lines: list[str] = []
    for table, keys in data.items():
        nested = {k: v for k, v in keys.items() if isinstance(v, dict)}
        lines.append(f"[{table}]")
        lines += [f"{k} = {value(v)}" for k, v in keys.items() if not isinstance(v, dict)]
        for name, sub in nested.items():
            lines.append(f"[{table}.{name}]")
            lines += [f"{k} = {value(v)}" for k, v in sub.items()]
    return "\n".join(lines) + "\n"


def value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return str(v)


def with_(table: str, **keys: object) -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = {k: dict(v) for k, v in GOOD.items()}
    data[table] = {**data.get(table, {}), **keys}
    return data


def test_the_bundled_manifest_parses() -> None:
    found = parse((TEXT_STATS / "plugin.toml").read_text(), DEFAULTS)
    assert found.name == "text-stats" and found.entry == "main.py" and found.api == 1
    assert found.functions == {"count": Function(
        "Count the words and sentences in a text.", pure=True, params={
            "type": "object", "required": ["text"],
            "properties": {"text": {"type": "string", "description": "The text to count."}}})}
    assert found.commands == {"stats": "count"}
    assert found.permissions == Permissions()
    assert found.quotas == Quotas(memory_mb=128, cpu_s=2, wall_s=5, processes=0, open_files=70,
                                  output_kb=900, disk_mb=20)


def test_left_out_quotas_and_permissions_take_the_defaults() -> None:
    found = parse(toml(GOOD), DEFAULTS)
    assert found.quotas == DEFAULTS and found.permissions == Permissions()
    assert found.to_map()["functions"] == {"count": {"description": "Count.", "pure": True}}


def test_a_function_is_impure_unless_it_says_it_is_pure() -> None:
    data = with_("functions", count={"description": "Count."},
                 hash={"description": "Hash.", "pure": True},
                 fetch={"description": "Fetch.", "pure": False})
    found = parse(toml(data), DEFAULTS)
    assert found.functions == {"count": Function("Count."), "hash": Function("Hash.", pure=True),
                               "fetch": Function("Fetch.", pure=False)}
    assert found.to_map()["functions"]["count"] == {"description": "Count.", "pure": False}


def test_permissions_are_read() -> None:
    found = parse(toml(with_("permissions", network=True, memory_write=True)), DEFAULTS)
    assert found.permissions == Permissions(network=True, memory_write=True)


@pytest.mark.parametrize(("data", "key", "rule"), [
    (with_("plugin", name="Text Stats"), "name", "2 to 40 characters of a-z, 0-9 and -"),
    (with_("plugin", name="x"), "name", "2 to 40"),
    (with_("plugin", name="a" * 41), "name", "2 to 40"),
    (with_("plugin", version=""), "version", "version must be text"),
    (with_("plugin", description=""), "description", "1 to 500 characters"),
    (with_("plugin", entry="../evil.py"), "entry", "inside the plugin's folder"),
    (with_("plugin", entry="/etc/evil.py"), "entry", "inside the plugin's folder"),
    (with_("plugin", entry="main.txt"), "entry", ".py module"),
    (with_("plugin", api=2), "api", "api must be 1"),
    (with_("plugin", color="red"), "color", "[plugin] color is not a known key"),
    (with_("functions", count={"description": "Count.", "pure": "yes"}), "pure",
     "true or false"),
    (with_("functions", count={"pure": True}), "description", "description is missing"),
    (with_("functions", count={"description": "C.", "pure": True, "cache": 1}), "cache",
     "not a known key"),
    (with_("functions", _private={"description": "C.", "pure": True}), "_private",
     "not a Python function name"),
    (with_("permissions", network="yes"), "network", "true or false"),
    (with_("permissions", filesystem=True), "filesystem", "not a known key"),
    (with_("quotas", memory_mb="lots"), "memory_mb", "whole number from 16 to 4096, not 'lots'"),
    (with_("quotas", memory_mb=8), "memory_mb", "from 16 to 4096"),
    (with_("quotas", cpu_s=0), "cpu_s", "from 1 to 3600"),
    (with_("quotas", wall_s=True), "wall_s", "whole number"),
    (with_("quotas", processes=-1), "processes", "from 0 to 64"),
    (with_("quotas", open_files=100000), "open_files", "from 8 to 4096"),
    (with_("quotas", output_kb=0), "output_kb", "from 1 to 65536"),
    (with_("quotas", disk_mb=1.5), "disk_mb", "whole number"),
    (with_("quotas", gpu=1), "gpu", "[quotas] gpu is not a known key"),
    (with_("hooks", on_load="x"), "hooks", "hooks is not a known key"),
    ({"functions": GOOD["functions"]}, "plugin", "[plugin] is missing"),
    ({"plugin": GOOD["plugin"]}, "functions", "[functions] is missing"),
])
def test_a_malformed_manifest_names_the_key_and_the_rule(
        data: dict[str, dict[str, Any]], key: str, rule: str) -> None:
    with pytest.raises(InvalidParams) as caught:
        parse(toml(data), DEFAULTS)
    assert caught.value.field == key
    assert caught.value.message.startswith("plugin.toml: ")
    assert key in caught.value.message and rule in caught.value.message


def test_a_missing_required_key_is_named() -> None:
    data = {k: dict(v) for k, v in GOOD.items()}
    del data["plugin"]["entry"]
    with pytest.raises(InvalidParams, match=r"\[plugin\] entry is missing"):
        parse(toml(data), DEFAULTS)


def test_text_that_is_not_toml_is_refused() -> None:
    with pytest.raises(InvalidParams, match="not valid TOML"):
        parse("[plugin\nname = ", DEFAULTS)


PARAMS = """\
[plugin]
name = "weather"
version = "1.0.0"
description = "Weather."
entry = "main.py"
api = 1

[functions.forecast]
description = "The forecast."
{params}
"""
GOOD_PARAMS = """\
[functions.forecast.params]
type = "object"
required = ["city"]

[functions.forecast.params.properties.city]
type = "string"
description = "Where."

[functions.forecast.params.properties.unit]
type = "string"
enum = ["C", "F"]

[functions.forecast.params.properties.days]
type = "array"
items = { type = "integer" }

[functions.forecast.params.properties.where]
type = "object"
required = ["lat"]
properties = { lat = { type = "number" }, lon = { type = "number" } }
"""


def test_a_function_s_params_are_read_as_a_json_schema() -> None:
    found = parse(PARAMS.format(params=GOOD_PARAMS), DEFAULTS)
    assert found.functions["forecast"].params == {
        "type": "object", "required": ["city"], "properties": {
            "city": {"type": "string", "description": "Where."},
            "unit": {"type": "string", "enum": ["C", "F"]},
            "days": {"type": "array", "items": {"type": "integer"}},
            "where": {"type": "object", "required": ["lat"], "properties": {
                "lat": {"type": "number"}, "lon": {"type": "number"}}}}}
    assert found.to_map()["functions"]["forecast"]["params"]["required"] == ["city"]


def test_a_manifest_without_params_or_commands_still_loads() -> None:
    found = parse(PARAMS.format(params=""), DEFAULTS)
    assert found.functions["forecast"].params is None and found.commands == {}
    assert "params" not in found.to_map()["functions"]["forecast"]
    assert found.to_map()["commands"] == {}


@pytest.mark.parametrize(("params", "field", "rule"), [
    ('[functions.forecast.params]\ntype = "array"', "functions.forecast.params.type",
     'type must be "object"'),
    ("[functions.forecast.params]\nrequired = []", "functions.forecast.params.type",
     "type must be one of string, number"),
    ('[functions.forecast.params]\ntype = "object"\n'
     '[functions.forecast.params.properties.city]\ntype = "str"',
     "functions.forecast.params.properties.city.type", "not 'str'"),
    ('[functions.forecast.params]\ntype = "object"\n'
     '[functions.forecast.params.properties.city]\ntype = "string"\ndescription = 3',
     "functions.forecast.params.properties.city.description", "description must be text"),
    ('[functions.forecast.params]\ntype = "object"\nrequired = ["city"]',
     "functions.forecast.params.required", "which properties does not declare"),
    ('[functions.forecast.params]\ntype = "object"\nadditional = true',
     "functions.forecast.params.additional", "not a known key"),
    ('[functions.forecast.params]\ntype = "object"\n'
     '[functions.forecast.params.properties.hub]\ntype = "string"',
     "functions.forecast.params.properties.hub", "not hub"),
    ('[functions.forecast.params]\ntype = "object"\n'
     '[functions.forecast.params.properties.unit]\ntype = "string"\nenum = [1, 2]',
     "functions.forecast.params.properties.unit.enum", "non-empty list of string"),
    ('[functions.forecast.params]\ntype = "object"\n'
     '[functions.forecast.params.properties.city]\ntype = "string"\nitems = {type = "string"}',
     "functions.forecast.params.properties.city.items", 'only for type "array"'),
])
def test_bad_params_are_refused_naming_the_field(params: str, field: str, rule: str) -> None:
    with pytest.raises(InvalidParams) as caught:
        parse(PARAMS.format(params=params), DEFAULTS)
    assert caught.value.field == field, caught.value.message
    assert rule in caught.value.message, caught.value.message
    assert caught.value.message.startswith("plugin.toml: [functions.forecast.params")


def test_commands_map_short_names_to_declared_functions() -> None:
    found = parse(PARAMS.format(params='[commands]\nweather = "forecast"\nw = "forecast"'),
                  DEFAULTS)
    assert found.commands == {"weather": "forecast", "w": "forecast"}
    with pytest.raises(InvalidParams, match=r"\[commands\] rain must name a function") as caught:
        parse(PARAMS.format(params='[commands]\nrain = "rainfall"'), DEFAULTS)
    assert caught.value.field == "rain"
    with pytest.raises(InvalidParams, match="must be 1 to 40 characters"):
        parse(PARAMS.format(params='[commands]\n"Big Rain" = "forecast"'), DEFAULTS)
