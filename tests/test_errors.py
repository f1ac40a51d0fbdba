"""The error tree: every protocol code has a class, and the wire mapping is an inverse."""

from __future__ import annotations

import inspect

import pytest

from pajamas import errors
from tests import protocol_doc


def hub_error_classes() -> list[type[errors.HubError]]:
    return [c for _, c in inspect.getmembers(errors, inspect.isclass)
            if issubclass(c, errors.HubError)]


def test_every_protocol_code_has_a_class() -> None:
    codes = protocol_doc.names(protocol_doc.served(), "code")  # docs/protocol.md's error table
    assert codes == list(errors.ERROR_CODES)
    assert set(codes) <= {c.code for c in hub_error_classes()}


def test_docstring_draws_every_class() -> None:
    tree = errors.__doc__ or ""
    for cls in hub_error_classes():
        if cls is not errors.RemoteError:
            assert cls.__name__ in tree, f"{cls.__name__} is missing from the tree"
        assert cls.__doc__, f"{cls.__name__} has no docstring"


@pytest.mark.parametrize("code", errors.ERROR_CODES)
def test_from_wire_inverts_to_wire(code: str) -> None:
    exc = errors.from_wire({"code": code, "message": "m", "data": {"field": "x"}})
    assert exc.code == code and exc.message == "m"
    assert errors.from_wire(exc.to_wire()).code == code


def test_invalid_params_keeps_its_field_across_the_wire() -> None:
    exc = errors.from_wire(errors.InvalidParams("bad", field="limit").to_wire())
    assert isinstance(exc, errors.InvalidParams) and exc.field == "limit"


def test_unknown_codes_survive_as_remote_errors() -> None:
    exc = errors.from_wire({"code": "from_the_future", "message": "m", "data": 5})
    assert isinstance(exc, errors.RemoteError) and exc.remote_code == "from_the_future"


def test_foreign_exceptions_become_internal() -> None:
    assert errors.wire_code(ValueError()) == "internal"
    assert errors.wire_code(errors.Busy("b")) == "busy"
