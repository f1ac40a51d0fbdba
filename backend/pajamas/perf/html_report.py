"""A run as one self-contained HTML file: `pajamas perf report RUN [--compare BASE]`.

Everything is inline (the vendored uPlot the window uses, its stylesheet, the data and the
drawing script), so the file opens with no network and no hub: the machine and calibration,
a table of verdicts with regressions first, then for each benchmark the distribution of its
samples (beside the base run's when comparing) and its median over the saved runs.
"""

from __future__ import annotations

import html
import importlib.resources
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

from pajamas.perf import chaos_table, history
from pajamas.perf import compare as comparing
from pajamas.perf.compare import Row
from pajamas.perf.machine import describe
from pajamas.perf.report import ipc_text, number, verdict
from pajamas.perf.stats import percentile

QUANTILES: Final = 201  # points of each distribution plot: every half percentile
HISTORY_RUNS: Final = 30
_RANK: Final = {"slower": 0, "unsure": 1, "FAIL": 2, "ERROR": 3, "faster": 4}
_PILL: Final = {"slower": "bad", "FAIL": "bad", "ERROR": "bad", "faster": "ok", "pass": "ok",
                "unsupported here": "warn", "not compared": "warn", "unsure": "warn"}
_SYMBOL: Final = {"<=": "≤", ">=": "≥"}


def render(run: dict[str, Any], *, base: dict[str, Any] | None = None,
           past: Iterable[dict[str, Any]] = (),
           thresholds: Mapping[str, float] | None = None) -> str:
    """The report of run (compared with base when given, with the benchmarks' own
    thresholds; history from past runs)."""
    comparison = (comparing.compare(base, run, thresholds=thresholds) if base is not None
                  else None)
    rows = {r["name"]: r for r in comparison["rows"]} if comparison else {}
    runs = [r for r in past if r.get("run_id") != run["run_id"]] + [run]
    ordered = sorted(run["benchmarks"], key=lambda b: _rank(b, rows.get(b["name"])))
    data = {"run": run["run_id"], "benchmarks": [
        _plot_data(b, base, runs) for b in ordered if b["samples"]]}
    sections = [_section(b, rows.get(b["name"])) for b in ordered if b["samples"]]
    body = "\n".join([_header(run), _comparison(comparison) if comparison else "",
                      _table(ordered, rows), _chaos(run["benchmarks"]), *sections])
    return _page(f"perf run {run['run_id']}", body, data)


def _rank(bench: dict[str, Any], row: Row | None) -> int:
    compared = row["verdict"] if row else ""
    return min(_RANK.get(compared, 9), _RANK.get(verdict(bench), 9))


def _plot_data(bench: dict[str, Any], base: dict[str, Any] | None,
               runs: list[dict[str, Any]]) -> dict[str, Any]:
    theirs = next((b for b in (base or {}).get("benchmarks", []) if b["name"] == bench["name"]),
                  None)
    points = history.series_of(runs, bench["name"])[-HISTORY_RUNS:]
    return {"name": bench["name"], "unit": bench["unit"], "quantiles": quantiles(bench["samples"]),
            "base_quantiles": quantiles(theirs["samples"]) if theirs else None,
            "history": [{"run_id": p["run_id"], "median": p["median"]} for p in points
                        if p["median"] is not None]}


def quantiles(samples: list[float], count: int = QUANTILES) -> list[float]:
    """count evenly spaced percentiles of samples, 0 to 100 (all of them when fewer)."""
    ordered = sorted(samples)
    if len(ordered) <= count:
        return ordered if len(ordered) != 1 else ordered * 2
    return [percentile(ordered, 100 * i / (count - 1)) for i in range(count)]


def _header(run: dict[str, Any]) -> str:
    calib = run["calibration"]
    facts = {
        "Suite": f"{run.get('suite', '?')}, scale {run['scale']:g}, "
                 f"{run.get('repeat', 1)} repetition(s)",
        "Started": f"{run['started_at']} (finished {run['finished_at']})",
        "Machine": describe(run["machine"]),
        "Calibration": f"{calib['name']}: median {number(calib['median'])} {calib['unit']}, "
                       f"p95 {number(calib['p95'])} {calib['unit']} (n {calib['n']})",
        **({"Inter-process control": ipc_text(run["ipc"])} if run.get("ipc") else {}),
        "Budgets": ", ".join(run.get("budgets", [])) or "as recorded",
    }
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts.items())
    return (f'<header><h1>Perf run <code>{_e(run["run_id"])}</code></h1></header>'
            f'<section class="panel" data-testid="report-machine"><dl class="facts">{items}'
            "</dl></section>")


def _comparison(comparison: comparing.Comparison) -> str:
    how = ("Runs from two machines: each figure is a ratio to its run's calibration."
           if comparison["calibrated"] else "One machine: raw figures compared.")
    means = ", ".join(f"{g} {v:.3f}\u00d7" for g, v in sorted(comparison["groups"].items()))
    slower = ", ".join(comparison["slower"]) or "none"
    return (f'<section class="panel" data-testid="report-compare"><h2>Compared with '
            f'<code>{_e(comparison["base"])}</code></h2><p>{_e(how)} A benchmark is slower '
            f'or faster only past {comparison["threshold"]:g}&times; and at p &lt; '
            f'{comparison["alpha"]:g} (Mann-Whitney U); the interval is a 95% bootstrap.'
            f"{_e(_own(comparison))}{_e(_moved(comparison))}</p>"
            f"<p>Slower: <b>{_e(slower)}</b>.{_e(_unsure(comparison))} Geometric mean of cost "
            f"ratios per group (above 1: slower): {_e(means or '-')}.</p></section>")


def _moved(comparison: comparing.Comparison) -> str:
    sentence = comparing.machine_moved(comparison)
    return f" {sentence[0].upper()}{sentence[1:]}." if sentence else ""


def _unsure(comparison: comparing.Comparison) -> str:
    unsure = comparison["unsure"]
    return f" Unsure (the machine moved): {', '.join(unsure)}." if unsure else ""


def _own(comparison: comparing.Comparison) -> str:
    own = [f"{name} {ratio:g}\u00d7"
           for name, ratio in comparing.own_thresholds(comparison).items()]
    return (" Benchmarks that move more between runs of the same code have their own "
            f"threshold (budgets file): {', '.join(own)}." if own else "")


def _table(benches: list[dict[str, Any]], rows: dict[str, Row]) -> str:
    head = ("<tr><th>benchmark</th><th>n</th><th>median</th><th>p95</th><th>budget</th>"
            "<th>verdict</th>" + ("<th>ratio (95% CI)</th><th>p</th><th>vs base</th>"
                                  if rows else "") + "</tr>")
    body = "".join(_table_row(b, rows.get(b["name"]), bool(rows)) for b in benches)
    return (f'<section class="panel"><h2>Verdicts</h2><table data-testid="report-table">'
            f"<thead>{head}</thead><tbody>{body}</tbody></table></section>")


def _chaos(benches: list[dict[str, Any]]) -> str:
    """The chaos table (chaos_table.py), when the run has chaos benchmarks."""
    found = chaos_table.rows(benches)
    if not found:
        return ""
    head = "".join(f"<th>{_e(c)}</th>" for c in chaos_table.COLUMNS)
    body = "".join("<tr>" + "".join(_chaos_cell(i, c) for i, c in enumerate(r)) + "</tr>"
                   for r in found)
    return ('<section class="panel"><h2>Chaos: faults survived</h2>'
            '<table data-testid="chaos-table">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>")


def _chaos_cell(column: int, cell: str) -> str:
    if column == 1:  # survived: a pill, green or red
        pill = "ok" if cell == "yes" else "bad"
        return f'<td><span class="pill {pill}">{_e(cell)}</span></td>'
    return f"<td>{_e(cell)}</td>"


def _table_row(bench: dict[str, Any], row: Row | None, comparing_: bool) -> str:
    state = verdict(bench)
    unit = _e(bench["unit"])
    budget = "<br>".join(f"{_e(t['stat'])} {_SYMBOL.get(t['op'], t['op'])} "
                         f"{t['value']:g} {unit}" for t in bench["targets"]) or "-"
    why = bench.get("error") or bench.get("not_run")
    cells = [f'<th scope="row"><a href="#b-{_e(bench["name"])}"><code>{_e(bench["name"])}'
             f'</code></a><div class="reason">{_e(bench["description"])}</div></th>',
             f'<td class="num">{bench["n"]}</td>',
             f'<td class="num">{number(bench["median"])} {unit}</td>',
             f'<td class="num">{number(bench["p95"])} {unit}</td>', f"<td>{budget}</td>",
             f"<td>{_pill(state)}" + (f'<div class="reason">{_e(why)}</div>' if why else "")
             + "</td>"]
    if comparing_:
        cells += _compare_cells(row)
    return (f'<tr data-bench="{_e(bench["name"])}" data-verdict="{_e(state)}"'
            f' data-compare="{_e(row["verdict"] if row else "")}">{"".join(cells)}</tr>')


def _compare_cells(row: Row | None) -> list[str]:
    if row is None or row["ratio"] is None:
        note = row["note"] if row else "not in the base run"
        return ["<td>-</td><td>-</td>",
                f'<td>{_pill("not compared")}<div class="reason">{_e(note)}</div></td>']
    interval = ("" if row["ci_low"] is None else
                f" ({row['ci_low']:.3f}&ndash;{row['ci_high']:.3f})")
    own = (f'<div class="reason">its own threshold: {row["threshold"]:g}&times;</div>'
           if row["threshold"] != comparing.THRESHOLD else "")
    return [f'<td class="num">{row["ratio"]:.3f}&times;{interval}</td>',
            f'<td class="num">{_e(comparing.p_text(row["p_value"] or 0.0))}</td>',
            f"<td>{_pill(row['verdict'])}{own}"
            + (f'<div class="reason">{_e(row["note"])}</div>' if row["note"] else "") + "</td>"]


def _section(bench: dict[str, Any], row: Row | None) -> str:
    name = _e(bench["name"])
    state = row["verdict"] if row else verdict(bench)
    why = "; ".join(f"{t['stat']} {_SYMBOL.get(t['op'], t['op'])} {t['value']:g}: {t['source']}"
                    for t in bench["targets"])
    return (f'<section class="panel bench" id="b-{name}"><div class="bench-head"><h3><code>'
            f"{name}</code></h3>{_pill(state)}<span class=\"muted\">{_e(bench['unit'])}, "
            f"{bench['n']} samples</span></div>"
            + (f'<p class="reason">Budget: {_e(why)}</p>' if why else "")
            + f'<div class="plots"><figure class="plot" data-plot="dist" data-bench="{name}">'
            f"<figcaption>Distribution of the samples (sorted)</figcaption>"
            f'<div class="chart"></div></figure>'
            f'<figure class="plot" data-plot="history" data-bench="{name}">'
            f"<figcaption>Median over the saved runs</figcaption><div class=\"chart\"></div>"
            f"</figure></div></section>")


def _pill(state: str) -> str:
    return f'<span class="pill {_PILL.get(state, "")}">{_e(state)}</span>'


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _page(title: str, body: str, data: dict[str, Any]) -> str:
    from pajamas.shell.webui import find_webui  # noqa: PLC0415  (the vendored uPlot)

    vendor = find_webui() / "vendor" / "uplot"
    uplot = (vendor / "uPlot.esm.js").read_text(encoding="utf-8")
    # The module's exports become a global, so the classic script below can draw with it.
    uplot = uplot.replace("export function ", "function ").replace(
        "export { uPlot as default };", "window.uPlot = uPlot;")
    here = importlib.resources.files("pajamas.perf") / "html"
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return "\n".join([
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{(vendor / 'uPlot.min.css').read_text(encoding='utf-8')}</style>",
        f"<style>{(here / 'report.css').read_text(encoding='utf-8')}</style>",
        "</head><body>", body,
        f'<script type="application/json" id="perf-data">{payload}</script>',
        f'<script>(function () {{ "use strict";\n{uplot}\n}})();</script>',
        f"<script>{(here / 'report.js').read_text(encoding='utf-8')}</script>",
        "</body></html>", ""])
