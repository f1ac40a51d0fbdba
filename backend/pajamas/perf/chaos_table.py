"""The chaos table: one row per `chaos.*` benchmark of a run, read from its extra figures.

A chaos benchmark's samples are acknowledged writes lost per trial; its extra figures
(the convention every chaos module follows) are "survived" (1 or 0), "acknowledged" (writes the
hub acknowledged before its faults), "recovery_s" (the slowest trial's time from the fault to
serving again) and "fault" (a one-line description).
"""

from __future__ import annotations

from typing import Any, Final

PREFIX: Final = "chaos."
COLUMNS: Final = ("fault", "survived", "acknowledged", "lost", "recovery s")
NUMERIC: Final = frozenset({2, 3, 4})


def is_chaos(bench: dict[str, Any] | Any) -> bool:
    """Whether a benchmark record is a chaos fault's."""
    return str(bench["name"]).startswith(PREFIX)


def rows(benchmarks: list[Any]) -> list[tuple[str, ...]]:
    """The table's rows for the chaos benchmarks among benchmarks (as `report.table` takes)."""
    return [row(b) for b in benchmarks if is_chaos(b)]


def row(bench: dict[str, Any] | Any) -> tuple[str, ...]:
    """One fault: its description (else name), survived, acknowledged, lost, recovery time."""
    extra = bench.get("extra") or {}
    fault = str(extra.get("fault") or bench["name"])
    if bench.get("error") is not None:
        return (fault, "ERROR", "-", "-", "-")
    if bench.get("not_run") is not None:
        return (fault, "not run", "-", "-", "-")
    survived = extra.get("survived")
    lost = sum(bench.get("samples") or [])
    return (fault, "-" if survived is None else ("yes" if survived else "NO"),
            _count(extra.get("acknowledged")), f"{lost:g}", _seconds(extra.get("recovery_s")))


def _count(value: Any) -> str:
    return "-" if value is None else f"{float(value):,.0f}"


def _seconds(value: Any) -> str:
    return "-" if value is None else f"{float(value):.2f}"
