"""calculator: safe arithmetic by walking the expression's syntax tree (no eval, no names).

Numbers, + - * / // % **, unary + and -, parentheses, and the functions and constants in
`FUNCTIONS` and `CONSTANTS`.  Guards keep one expression cheap: its length, its nesting, and
the size of integer results (an exponent or product that would exceed `MAX_BITS` is refused
before it is computed).
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

MAX_LENGTH = 1000  # characters of an expression
MAX_DEPTH = 50  # nesting of operations and calls
MAX_BITS = 10_000  # size of an integer result: about 3,000 decimal digits
MAX_FACTORIAL = 1000
INT64 = (-(2**63), 2**64 - 1)  # what msgpack carries as an integer

Number = int | float


class CalcError(ValueError):
    """The expression cannot be evaluated; the message says why."""

BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos, ast.USub: operator.neg,
}
SYMBOLS = {ast.BitXor: "^ (use ** for powers)", ast.BitAnd: "&", ast.BitOr: "|",
           ast.LShift: "<<", ast.RShift: ">>", ast.MatMult: "@", ast.Invert: "~",
           ast.Not: "not"}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}


def _factorial(n: Number) -> int:
    if isinstance(n, float) and n.is_integer():
        n = int(n)
    if not isinstance(n, int) or n < 0:
        raise CalcError(f"factorial needs a whole number 0 or more, not {n!r}")
    if n > MAX_FACTORIAL:
        raise CalcError(f"factorial({n}) is too large; the most is factorial({MAX_FACTORIAL})")
    return math.factorial(n)


FUNCTIONS: dict[str, Callable[..., Number]] = {
    "abs": abs, "round": round, "min": min, "max": max,
    "sqrt": math.sqrt, "cbrt": math.cbrt, "exp": math.exp, "log": math.log,
    "log2": math.log2, "log10": math.log10, "floor": math.floor, "ceil": math.ceil,
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "asin": math.asin, "acos": math.acos,
    "atan": math.atan, "atan2": math.atan2, "hypot": math.hypot, "degrees": math.degrees,
    "radians": math.radians, "factorial": _factorial, "gcd": math.gcd,
}


def evaluate(expression: str) -> dict[str, Any]:
    """The value of an arithmetic expression: {"expression", "value", "text"}.

    "text" is the exact value; "value" is the number (a float when an integer is too large
    for the wire, null when even a float cannot hold it).
    """
    tree = _parse(expression)
    try:
        value = _eval(tree.body, 0)
    except ZeroDivisionError as exc:
        raise CalcError(f"division by zero in {expression!r}") from exc
    except OverflowError as exc:
        raise CalcError(f"the result of {expression!r} is too large for a float ({exc})") from exc
    if isinstance(value, float) and not math.isfinite(value):
        raise CalcError(f"the result of {expression!r} is not a finite real number ({value})")
    return {"expression": expression, "value": _wire(value), "text": _text(value)}


def names() -> dict[str, list[str]]:
    """The functions and constants an expression may use."""
    return {"functions": sorted(FUNCTIONS), "constants": sorted(CONSTANTS)}


def _parse(expression: object) -> ast.Expression:
    if not isinstance(expression, str) or not expression.strip():
        raise CalcError("expression must be a non-empty text, e.g. '1 + 2'")
    if len(expression) > MAX_LENGTH:
        raise CalcError(f"expression is {len(expression)} characters long; the most is "
                        f"{MAX_LENGTH}")
    try:
        return ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, MemoryError, RecursionError) as exc:
        raise CalcError(f"{expression!r} is not an arithmetic expression "
                        f"({getattr(exc, 'msg', exc)})") from exc


def _eval(node: ast.AST, depth: int) -> Number:
    if depth > MAX_DEPTH:
        raise CalcError(f"the expression nests more than {MAX_DEPTH} levels deep")
    match node:
        case ast.Constant(value=bool()) | ast.Constant(value=complex()):
            raise CalcError(f"{node.value!r} is not a number this calculator takes")
        case ast.Constant(value=int() | float() as number):
            return number
        case ast.Name(id=name) if name in CONSTANTS:
            return CONSTANTS[name]
        case ast.UnaryOp(op=op, operand=operand) if type(op) in UNARY:
            return UNARY[type(op)](_eval(operand, depth + 1))
        case ast.BinOp(left=left, op=op, right=right) if type(op) in BINARY:
            return _binary(op, _eval(left, depth + 1), _eval(right, depth + 1))
        case ast.Call(func=ast.Name(id=name), args=args, keywords=[]) if name in FUNCTIONS:
            return _call(name, [_eval(arg, depth + 1) for arg in args])
    raise CalcError(_unsupported(node))


def _binary(op: ast.operator, left: Number, right: Number) -> Number:
    if isinstance(op, ast.Pow):
        _check_power(left, right)
    elif isinstance(op, ast.Mult) and isinstance(left, int) and isinstance(right, int):
        _check_bits(left.bit_length() + right.bit_length(), "the product")
    result = BINARY[type(op)](left, right)
    if isinstance(result, complex):
        raise CalcError(f"{_text(left)} ** {_text(right)} is not a real number")
    return result  # type: ignore[no-any-return]


def _check_power(base: Number, exponent: Number) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        _check_bits(base.bit_length() * exponent, f"{base} ** {exponent}")
    if base == 0 and exponent < 0:
        raise ZeroDivisionError("0 to a negative power")


def _check_bits(bits: int, what: str) -> None:
    if bits > MAX_BITS:
        raise CalcError(f"{what} would have about {int(bits * math.log10(2))} digits; the most "
                        f"is about {int(MAX_BITS * math.log10(2))}")


def _call(name: str, args: list[Number]) -> Number:
    try:
        return FUNCTIONS[name](*args)
    except CalcError:
        raise
    except TypeError as exc:
        raise CalcError(f"{name}() was given the wrong arguments ({exc})") from exc
    except ValueError as exc:
        raise CalcError(f"{name}({', '.join(map(_text, args))}) is not defined ({exc})") from exc


def _unsupported(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return (f"unknown name {node.id!r}; the functions are {', '.join(sorted(FUNCTIONS))} "
                f"and the constants {', '.join(sorted(CONSTANTS))}")
    if isinstance(node, ast.Call):
        return "only the listed functions may be called, with plain arguments"
    op = getattr(node, "op", None)
    if op is not None and type(op) in SYMBOLS:
        return f"the operator {SYMBOLS[type(op)]} is not supported"
    if isinstance(node, ast.Constant):
        return f"{node.value!r} is not a number"
    return f"{type(node).__name__} is not allowed in an arithmetic expression"


def _wire(value: Number) -> Number | None:
    if isinstance(value, int) and not INT64[0] <= value <= INT64[1]:
        try:
            return float(value)
        except OverflowError:
            return None
    return value


def _text(value: Number) -> str:
    return repr(value) if isinstance(value, float) else str(value)
