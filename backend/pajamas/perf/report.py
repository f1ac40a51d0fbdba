"""The run as a person reads it: a table of figures and verdicts, the corpus the memory
benchmarks used, the chaos table (each fault: survived, writes lost, recovery), then which
budgets were missed and by how much, what broke, and what is unsupported here and why."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pajamas.perf import chaos_table
from pajamas.perf.machine import describe
from pajamas.perf.record import BenchmarkRecord, RunRecord, TargetResult

_SYMBOL = {"<=": "≤", ">=": "≥"}
_COLUMNS = ("benchmark", "unit", "n", "median", "p95", "p99", "result", "targets")


def format_report(run: RunRecord) -> str:
    """The whole report: machine and calibration, the table, then failures and errors."""
    calib = run["calibration"]
    repeat = run.get("repeat", 1)
    lines = [f"run {run['run_id']}: suite {run.get('suite', '?')}, scale {run['scale']:g}"
             + (f", {repeat} repetitions" if repeat > 1 else ""),
             f"machine {describe(run['machine'])}",
             f"calibration {calib['name']}: median {number(calib['median'])} {calib['unit']}, "
             f"p95 {number(calib['p95'])} {calib['unit']}",
             *([f"inter-process control {ipc_text(run['ipc'])}"] if run.get("ipc") else []), ""]
    lines += table(_COLUMNS, [_row(b) for b in run["benchmarks"]], numeric={2, 3, 4, 5})
    lines += _corpora(run["benchmarks"])
    lines += _chaos(run["benchmarks"])
    problems = [line for b in run["benchmarks"] for line in _problems(b)]
    return "\n".join(lines + (["", *problems] if problems else []))


def ipc_text(ipc: Mapping[str, Any]) -> str:
    """The inter-process control in a line: its median and each round's figure."""
    rounds = ", ".join(number(r) for r in ipc["rounds"])
    return (f"{ipc['name']}: median {number(ipc['median'])} {ipc['unit']} "
            f"(the mean of each round: {rounds})")


def verdict(bench: BenchmarkRecord | dict[str, Any]) -> str:
    """"pass", "FAIL", "ERROR", "unsupported here" or "no budget" (measured, nothing to hold)."""
    if bench["error"] is not None:
        return "ERROR"
    if bench.get("not_run") is not None:  # .get: runs saved before not_run existed lack it
        return "unsupported here"
    if bench["passed"] is None:
        return "no budget"
    return "pass" if bench["passed"] else "FAIL"


def _row(bench: BenchmarkRecord) -> tuple[str, ...]:
    targets = ", ".join(_target(t) for t in bench["targets"])
    return (bench["name"], bench["unit"], str(bench["n"]), number(bench["median"]),
            number(bench["p95"]), number(bench["p99"]), verdict(bench), targets)


def table(columns: tuple[str, ...], rows: list[tuple[str, ...]], *,
          numeric: set[int]) -> list[str]:
    """Rows under a header, columns padded: text left-aligned, numeric columns right-aligned."""
    cells = [columns, *rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    # The last column is not padded, so no line ends in spaces.
    return ["  ".join(cell.rjust(w) if i in numeric else cell.ljust(w)
                      for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip()
            for row in cells]


def _corpora(benchmarks: list[BenchmarkRecord]) -> list[str]:
    """Which texts the benchmarks that record a corpus used: their figures compare only with
    figures on the same corpus."""
    used: dict[str, list[str]] = {}
    for bench in benchmarks:
        if "corpus" in bench["extra"]:
            used.setdefault(str(bench["extra"]["corpus"]), []).append(bench["name"])
    return [f"{name} corpus (compare with runs on it alone): {', '.join(names)}"
            for name, names in sorted(used.items())]


def _chaos(benchmarks: list[BenchmarkRecord]) -> list[str]:
    """The chaos table, when the run has chaos benchmarks (any module's `chaos.*`)."""
    found = chaos_table.rows(benchmarks)
    if not found:
        return []
    return ["", "chaos (acknowledged writes lost; recovery: the fault to serving again)",
            *table(chaos_table.COLUMNS, found, numeric=set(chaos_table.NUMERIC))]


def _problems(bench: BenchmarkRecord) -> list[str]:
    if bench["error"] is not None:
        return [f"ERROR {bench['name']}: {bench['error']}"]
    if bench.get("not_run") is not None:
        return [f"unsupported here {bench['name']}: {bench['not_run']}"]
    return [f"FAIL {bench['name']}: {t['stat']} = {number(t['observed'])} {bench['unit']}, "
            f"budget {_target(t)} {bench['unit']}: {_miss(t)} ({t['source']})"
            for t in bench["targets"] if t["passed"] is False]


def _miss(target: TargetResult) -> str:
    """"20% over" a cost's bound, "35% under" a rate's."""
    observed, value = target["observed"] or 0.0, target["value"]
    if value == 0:
        return f"{abs(observed):g} {'over' if target['op'] == '<=' else 'under'}"
    gap = (observed - value) / abs(value) * (1 if target["op"] == "<=" else -1)
    return f"{gap:.0%} {'over' if target['op'] == '<=' else 'under'}"


def _target(target: TargetResult) -> str:
    return f"{target['stat']} {_SYMBOL.get(target['op'], target['op'])} {target['value']:g}"


def number(value: float | None) -> str:
    """A figure in a table: 1,234 / 12.3 / 1.23; "-" for none."""
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if abs(value) >= 1 or value == 0 else f"{value:.3g}"
