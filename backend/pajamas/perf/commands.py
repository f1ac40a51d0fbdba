"""`pajamas perf run|history|compare|report|list`: the suite from the command line.

Only argparse is imported here; each handler imports what it needs when it runs.  `perf start`
(the suite as a task of the core) lives with the task commands.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pajamas.config import Settings

if TYPE_CHECKING:
    from pajamas.perf.history import RunSummary

SUITE_HELP = ("quick (the vital signs), full (everything) or a group: rpc, memory, cache, "
              "plugin, chat, ui, monitor, startup, load")


def add_perf_parsers(perf_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `perf run`, `perf history`, `perf compare`, `perf report` and `perf list`."""
    run = perf_sub.add_parser("run", help="run a suite; report figures against the budgets")
    run.add_argument("--suite", default="full", metavar="SUITE", help=SUITE_HELP)
    run.add_argument("--only", nargs="+", metavar="NAME", default=None,
                     help="run these benchmarks (names or name prefixes) instead of the "
                          "suite's, at its scale")
    run.add_argument("--scale", type=_positive, default=None, metavar="FACTOR",
                     help="size every loop by FACTOR instead of the suite's scale")
    run.add_argument("--repeat", type=_count, default=None, metavar="N",
                     help="run each benchmark N times, pooling the samples (the suite's: "
                          "5 for quick, else 1)")
    run.add_argument("--data", type=Path, default=None, metavar="PATH",
                     help="LoCoMo's locomo10.json for the benchmarks that need it "
                          "(else the setting locomo_path)")
    run.add_argument("--json", type=Path, metavar="PATH", default=None,
                     help="also write the run as JSON to PATH")
    run.set_defaults(handler=perf_run)
    hist = perf_sub.add_parser("history", help="the saved runs, or one benchmark over them")
    hist.add_argument("name", nargs="?", default=None, metavar="NAME",
                      help="a benchmark: its median in every run that has it")
    hist.add_argument("--limit", type=_count, default=30, metavar="N", help="the last N runs")
    hist.set_defaults(handler=perf_history)
    comp = perf_sub.add_parser("compare", help="compare two runs; exit 1 when one got slower, "
                                "3 when one may have but the machine moved too")
    comp.add_argument("base", metavar="BASE", help="a run id or a run's JSON file")
    comp.add_argument("new", metavar="NEW", help="a run id or a run's JSON file")
    comp.add_argument("--threshold", type=_ratio, default=None, metavar="RATIO",
                      help="the smallest ratio of medians called slower or faster, for every "
                           "benchmark (default: 1.1, or a benchmark's own from the budgets "
                           "file)")
    comp.add_argument("--json", type=Path, metavar="PATH", default=None,
                      help="also write the comparison as JSON to PATH")
    comp.set_defaults(handler=perf_compare)
    rep = perf_sub.add_parser("report", help="a run as one self-contained HTML file")
    rep.add_argument("run", metavar="RUN", help="a run id or a run's JSON file")
    rep.add_argument("--compare", metavar="BASE", default=None,
                     help="a run to compare it with (a run id or JSON file)")
    rep.add_argument("-o", "--output", type=Path, default=Path("report.html"), metavar="PATH",
                     help="where to write the HTML (report.html)")
    rep.set_defaults(handler=perf_report)
    listing = perf_sub.add_parser("list", help="the registered benchmarks and their budgets")
    listing.set_defaults(handler=perf_list)


def perf_run(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Run a suite, save it, print the report; 1 when a budget was missed."""
    from pajamas.perf.runner import run_cli  # noqa: PLC0415

    return run_cli(only=args.only, json_path=args.json, scale=args.scale, suite=args.suite,
                   repeat=args.repeat, data=args.data, home=home, settings=settings)


def perf_history(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """List the saved runs, or one benchmark's figures over them."""
    from pajamas.perf import history  # noqa: PLC0415
    from pajamas.perf.report import number  # noqa: PLC0415

    if args.name is None:
        items, total = history.runs(home, 0, args.limit)
        print(f"{total} runs in {history.folder(home)}" + (", newest first" if total else ""))
        for run in items:
            print(_run_line(run))
        return 0
    points = history.series(home, args.name, args.limit)
    if not points:
        print(f"no saved run has {args.name}", file=sys.stderr)
        return 1
    print(f"{args.name} over {len(points)} runs, oldest first ({points[-1]['unit']}):")
    for p in points:
        print(f"  {p['run_id']}  {p['host']:<16} scale {p['scale']:<5g} n {p['n']:>6}  "
              f"median {number(p['median']):>9}  p95 {number(p['p95']):>9}  {p['verdict']}")
    return 0


def _run_line(run: RunSummary) -> str:
    if "error" in run:
        return f"  {run['run_id']}  {run['error']}"
    counts = ", ".join(f"{n} {label}" for n, label in (
        (run["passed"], "pass"), (run["failed"], "FAIL"), (run["errors"], "ERROR"),
        (run["not_run"], "unsupported")) if n)
    return (f"  {run['run_id']}  {run['suite']:<8} scale {run['scale']:<5g} {run['host']:<16} "
            f"{len(run['benchmarks']):>3} benchmarks  {counts}")


def perf_compare(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Compare two runs; 1 when a benchmark got slower, 3 when one is unsure."""
    from pajamas.perf import budgets, compare, history  # noqa: PLC0415
    from pajamas.perf.record import write_json  # noqa: PLC0415

    result = compare.compare(history.load(home, args.base, files=True),
                             history.load(home, args.new, files=True),
                             threshold=args.threshold, thresholds=budgets.load(home).ratios())
    print(compare.format_comparison(result))
    if args.json is not None:
        write_json(args.json, dict(result))
    return compare.exit_code(result)


def perf_report(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Write a run (and its comparison with another) as one HTML file."""
    from pajamas.perf import budgets, history, html_report  # noqa: PLC0415

    run = history.load(home, args.run, files=True)
    base = history.load(home, args.compare, files=True) if args.compare else None
    past = list(history.iter_runs(home))
    args.output.write_text(html_report.render(run, base=base, past=past,
                                              thresholds=budgets.load(home).ratios()),
                           encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


def perf_list(args: argparse.Namespace, home: Path, settings: Settings) -> int:
    """Print every benchmark, its group and its budget."""
    from pajamas.perf import budgets  # noqa: PLC0415
    from pajamas.perf.registry import all_benchmarks  # noqa: PLC0415
    from pajamas.perf.suites import group_of  # noqa: PLC0415

    held = budgets.load(home)
    for bench in all_benchmarks():
        print(f"{bench.name:28} {group_of(bench.name):8} {bench.unit:10} "
              f"{held.describe(bench.name, bench.unit)}")
    return 0


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {text}")
    return value


def _ratio(text: str) -> float:
    value = float(text)
    if value <= 1:
        raise argparse.ArgumentTypeError(f"must be above 1, not {text}")
    return value

