"""The run as a person reads it: a table of figures and verdicts, the corpus the memory
benchmarks used, then what failed and why, and what was not run and why."""

from __future__ import annotations

from pajamas.perf.record import BenchmarkRecord, RunRecord, TargetResult

_SYMBOL = {"<=": "≤", ">=": "≥"}
_COLUMNS = ("benchmark", "unit", "n", "median", "p95", "p99", "result", "targets")


def format_report(run: RunRecord) -> str:
    """The whole report: machine and calibration, the table, then failures and errors."""
    calib = run["calibration"]
    machine = run["machine"]
    lines = [f"run {run['run_id']} on {machine['hostname']} ({machine['cpu_model']}, "
             f"{machine['cores']} cores, Python {machine['python']}); scale {run['scale']:g}",
             f"calibration {calib['name']}: median {_num(calib['median'])} {calib['unit']}, "
             f"p95 {_num(calib['p95'])} {calib['unit']}", ""]
    lines += _table([_row(b) for b in run["benchmarks"]]) + _corpora(run["benchmarks"])
    problems = [line for b in run["benchmarks"] for line in _problems(b)]
    return "\n".join(lines + (["", *problems] if problems else []))


def verdict(bench: BenchmarkRecord) -> str:
    """"pass", "FAIL", "ERROR" or "not run"."""
    if bench["error"] is not None:
        return "ERROR"
    if bench.get("not_run") is not None:  # .get: runs saved before not_run existed lack it
        return "not run"
    return "pass" if bench["passed"] else "FAIL"


def _row(bench: BenchmarkRecord) -> tuple[str, ...]:
    targets = ", ".join(_target(t) for t in bench["targets"])
    return (bench["name"], bench["unit"], str(bench["n"]), _num(bench["median"]),
            _num(bench["p95"]), _num(bench["p99"]), verdict(bench), targets)


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    cells = [_COLUMNS, *rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(_COLUMNS))]
    # Text columns are left-aligned, figures right-aligned; the last column is not padded.
    numeric = {2, 3, 4, 5}
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


def _problems(bench: BenchmarkRecord) -> list[str]:
    if bench["error"] is not None:
        return [f"ERROR {bench['name']}: {bench['error']}"]
    if bench.get("not_run") is not None:
        return [f"not run {bench['name']}: {bench['not_run']}"]
    return [f"FAIL {bench['name']}: {t['stat']} = {_num(t['observed'])} {bench['unit']}, "
            f"target {_target(t)} {bench['unit']} ({t['source']})"
            for t in bench["targets"] if t["passed"] is False]


def _target(target: TargetResult) -> str:
    return f"{target['stat']} {_SYMBOL.get(target['op'], target['op'])} {target['value']:g}"


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
