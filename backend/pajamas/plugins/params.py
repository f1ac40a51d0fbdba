"""`[functions.NAME.params]`: a function's arguments as a small JSON schema, checked at load.

The schema is the subset of JSON Schema that OpenAI-style tool definitions use: an object
whose `properties` each have a `type` (string, number, integer, boolean, array, object), an
optional `description` and `enum`, `items` for an array and `properties`/`required` for a
nested object; `required` lists the properties a call must give.  The top level must be
`type = "object"`; its properties become the function's keyword arguments, so their names are
Python identifiers and never `hub` (the host API's parameter).  Errors name the whole path:
"plugin.toml: [functions.count.params.properties.text] type must be one of …".
"""

from __future__ import annotations

import re
from typing import Any, Final

from pajamas.errors import InvalidParams

TYPES: Final = ("string", "number", "integer", "boolean", "array", "object")
KEYS: Final = ("type", "description", "enum", "items", "properties", "required")
ARGUMENT_RULE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
MAX_DESCRIPTION: Final = 500
MAX_DEPTH: Final = 4
_SCALARS: Final = {"string": (str,), "number": (int, float), "integer": (int,),
                   "boolean": (bool,)}


def check(function: str, spec: Any) -> dict[str, Any]:
    """The function's params schema, checked; `InvalidParams` naming the path otherwise."""
    where = f"functions.{function}.params"
    schema = _schema(where, spec, depth=0)
    if schema["type"] != "object":
        raise _error(f"{where}.type", f"[{where}] type must be \"object\" (the function's "
                                      f"keyword arguments), not {schema['type']!r}")
    for name in schema.get("properties", {}):
        if not ARGUMENT_RULE.fullmatch(name) or name == "hub":
            raise _error(f"{where}.properties.{name}",
                         f"[{where}.properties] {name!r} must be a Python parameter name "
                         "(letters, digits, _; not starting with a digit), and not hub")
    return schema


def empty() -> dict[str, Any]:
    """The schema of a function that takes no arguments."""
    return {"type": "object", "properties": {}}


def _error(path: str, message: str) -> InvalidParams:
    return InvalidParams(f"plugin.toml: {message}", field=path)


def _schema(where: str, spec: Any, *, depth: int) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise _error(where, f"[{where}] must be a table, not {spec!r:.80}")
    if depth > MAX_DEPTH:
        raise _error(where, f"[{where}] nests deeper than {MAX_DEPTH} levels")
    for key in spec:
        if key not in KEYS:
            raise _error(f"{where}.{key}", f"[{where}] {key} is not a known key; the keys are "
                                           f"{', '.join(KEYS)}")
    kind = spec.get("type")
    if kind not in TYPES:
        raise _error(f"{where}.type", f"[{where}] type must be one of {', '.join(TYPES)}, "
                                      f"not {kind!r}")
    schema: dict[str, Any] = {"type": kind}
    if "description" in spec:
        schema["description"] = _description(where, spec["description"])
    if "enum" in spec:
        schema["enum"] = _enum(where, kind, spec["enum"])
    if "items" in spec:
        if kind != "array":
            raise _error(f"{where}.items", f"[{where}] items is only for type \"array\"")
        schema["items"] = _schema(f"{where}.items", spec["items"], depth=depth + 1)
    if "properties" in spec or "required" in spec:
        if kind != "object":
            raise _error(f"{where}.properties",
                         f"[{where}] properties and required are only for type \"object\"")
        schema.update(_object(where, spec, depth))
    elif kind == "object":
        schema["properties"] = {}
    return schema


def _object(where: str, spec: dict[str, Any], depth: int) -> dict[str, Any]:
    properties = spec.get("properties", {})
    if not isinstance(properties, dict):
        raise _error(f"{where}.properties", f"[{where}.properties] must be a table of "
                                            f"property names, not {properties!r:.80}")
    checked = {name: _schema(f"{where}.properties.{name}", value, depth=depth + 1)
               for name, value in properties.items()}
    required = spec.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise _error(f"{where}.required", f"[{where}] required must be a list of property "
                                          f"names, not {required!r:.80}")
    unknown = [name for name in required if name not in checked]
    if unknown:
        raise _error(f"{where}.required", f"[{where}] required names {', '.join(unknown)}, "
                                          "which properties does not declare")
    result: dict[str, Any] = {"properties": checked}
    if required:
        result["required"] = list(dict.fromkeys(required))
    return result


def _description(where: str, value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= MAX_DESCRIPTION:
        raise _error(f"{where}.description", f"[{where}] description must be text of 1 to "
                                             f"{MAX_DESCRIPTION} characters, not {value!r:.80}")
    return value


def _enum(where: str, kind: str, values: Any) -> list[Any]:
    allowed = _SCALARS.get(kind)
    if allowed is None:
        raise _error(f"{where}.enum", f"[{where}] enum is only for string, number, integer "
                                      "and boolean types")
    if not isinstance(values, list) or not values or not all(
            isinstance(v, allowed) and (kind == "boolean" or not isinstance(v, bool))
            for v in values):
        raise _error(f"{where}.enum", f"[{where}] enum must be a non-empty list of {kind} "
                                      f"values, not {values!r:.80}")
    return values
