"""The method registry: names, docs and params of every RPC method, checked before a call.

A method is a plain function whose keyword parameters are the request's params.  Its type
hints are the params' types and its docstring is the doc that `system.methods` returns.  Params
are checked against the hints before the function runs, so a wrong type or a missing or unknown
param is an `InvalidParams` naming the field, never an exception from inside the method.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal

from pajamas.errors import InvalidParams, UnknownMethod

Checker = Callable[[str, Any], None]
# An int param reaches SQLite, LanceDB and the OS as a signed 64-bit integer; msgpack carries
# up to 2**64 - 1, so the registry refuses what they would overflow on.
INT_MIN: Final = -(2**63)
INT_MAX: Final = 2**63 - 1

_SCALARS: dict[type, str] = {str: "a str", int: "an int", float: "a number", bool: "a bool",
                             dict: "a map", list: "a list", bytes: "bin"}


@dataclass(frozen=True)
class Param:
    """One declared param."""

    name: str
    type: str
    required: bool
    check: Checker


@dataclass(frozen=True)
class Method:
    """A registered method."""

    name: str
    func: Callable[..., Any]
    doc: str
    inline: bool
    params: dict[str, Param]

    def bind(self, params: dict[str, Any]) -> dict[str, Any]:
        """The checked keyword arguments for a call; raises `InvalidParams`."""
        for name, value in params.items():
            param = self.params.get(name)
            if param is None:
                known = ", ".join(self.params) or "none"
                raise InvalidParams(f"{self.name} has no param {name!r} (its params: {known})",
                                    field=str(name))
            param.check(name, value)
        for param in self.params.values():
            if param.required and param.name not in params:
                raise InvalidParams(f"{self.name} needs the param {param.name!r} ({param.type})",
                                    field=param.name)
        return params


class Registry:
    """Every RPC method the core offers, by name."""

    def __init__(self) -> None:
        self._methods: dict[str, Method] = {}

    def add(self, name: str, func: Callable[..., Any], *, inline: bool = False) -> Method:
        """Register func as method name; inline ones run on the request loop: keep them fast."""
        if name in self._methods:
            raise ValueError(f"method {name} is registered twice")
        doc = inspect.cleandoc(func.__doc__ or "")
        if not doc:
            raise ValueError(f"method {name} has no docstring; it is the method's doc")
        method = Method(name, func, doc, inline, _params_of(func))
        self._methods[name] = method
        return method

    def get(self, name: str) -> Method:
        """The method called name; raises `UnknownMethod`."""
        try:
            return self._methods[name]
        except KeyError:
            raise UnknownMethod(name) from None

    def __iter__(self) -> Iterator[Method]:
        return iter(sorted(self._methods.values(), key=lambda m: m.name))

    def __len__(self) -> int:
        return len(self._methods)


def _params_of(func: Callable[..., Any]) -> dict[str, Param]:
    hints = typing.get_type_hints(func)
    params = {}
    for p in inspect.signature(func).parameters.values():
        if p.kind not in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD):
            raise ValueError(f"{func.__qualname__}: param {p.name} must be a keyword param")
        hint = hints.get(p.name, Any)
        params[p.name] = Param(p.name, _describe(hint), p.default is p.empty, _checker(hint))
    return params


def _checker(hint: Any) -> Checker:
    origin = typing.get_origin(hint)
    if hint is Any:
        return lambda name, value: None
    if origin is Literal:
        return _literal_checker(typing.get_args(hint))
    if origin in (types.UnionType, typing.Union):
        return _union_checker([_checker(arg) for arg in typing.get_args(hint)], _describe(hint))
    if hint is type(None):
        return _exact_checker(type(None), "null")
    base = origin or hint
    if base not in _SCALARS:
        raise ValueError(f"param type {hint!r} is not supported by the registry")
    return _exact_checker(base, _SCALARS[base])


def _exact_checker(kind: type, label: str) -> Checker:
    def check(name: str, value: Any) -> None:
        ok = type(value) is kind or (kind is float and type(value) is int)
        if not ok:
            raise InvalidParams(f"param {name!r} must be {label}, not {_type_name(value)}",
                                field=name)
        if kind is int and not INT_MIN <= value <= INT_MAX:
            raise InvalidParams(f"param {name!r} must be a whole number from {INT_MIN} to "
                                f"{INT_MAX}, not {value}", field=name)
    return check


def _literal_checker(choices: tuple[Any, ...]) -> Checker:
    def check(name: str, value: Any) -> None:
        if value not in choices or type(value) is bool:
            options = ", ".join(repr(c) for c in choices)
            raise InvalidParams(f"param {name!r} must be one of {options}, not {value!r:.60}",
                                field=name)
    return check


def _union_checker(checks: list[Checker], label: str) -> Checker:
    def check(name: str, value: Any) -> None:
        for one in checks:
            try:
                one(name, value)
            except InvalidParams:
                continue
            return
        raise InvalidParams(f"param {name!r} must be {label}, not {_type_name(value)}", field=name)
    return check


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if hint is Any:
        return "any"
    if hint is type(None):
        return "null"
    if origin is Literal:
        return " or ".join(repr(c) for c in typing.get_args(hint))
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_describe(arg) for arg in typing.get_args(hint))
    base = origin or hint
    return _SCALARS.get(base, getattr(base, "__name__", str(base))).split(" ", 1)[-1]


def _type_name(value: Any) -> str:
    return {type(None): "null", dict: "a map", list: "a list", bytes: "bin"}.get(
        type(value), f"{type(value).__name__} {value!r:.40}")
