"""Comparing two runs, benchmark by benchmark: the ratio of medians, how sure it is, a verdict.

A benchmark is "slower" only when its ratio of medians (new / base, turned so that above 1 is
worse for rates too) is beyond the threshold (1.1 by default, or the benchmark's own from the
budgets file when its median moves more between runs of the same code) AND the Mann-Whitney U test
rejects that the two sets of samples come from one distribution (p < 0.01); "faster" is the
mirror image; anything else is "same".  Both conditions matter: the threshold keeps tiny but
real changes from failing a build, the test keeps noise from doing so.

Samples within one run share that run's conditions (its core process, what else the machine
did then), so a run-level difference between two runs of the same code looks significant to a
test over samples.  When both runs have several repetitions (`--repeat`), each repetition's
median is one unit of the test instead, and the noise between runs is in it; with one
repetition a verdict says what it could not weigh.

A machine can change between two runs too: a shared virtual machine whose host got busy wakes
processes up more slowly, and nearly every benchmark goes through another process.  Each run
times an inter-process control (`ipc_control`) in every round; on one machine, when the new
run's control is beyond IPC_TOLERANCE of the base's, a verdict in the direction the machine
moved ("slower" on a slower machine, "faster" on a faster one) is held back as "unsure", and
the comparison says by how much the machine moved.  A verdict against that direction stands.

Runs from two machines compare only through their calibrations: each sample is divided by its
run's calibration median (a fixed CPU loop timed in the same run) before anything is computed,
and the comparison says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final, TypedDict

from pajamas.perf import inference
from pajamas.perf.machine import same_machine
from pajamas.perf.record import better_of
from pajamas.perf.report import verdict as run_verdict
from pajamas.perf.suites import group_of

THRESHOLD: Final = 1.1
ALPHA: Final = 0.01
#: How far the inter-process control may move between two runs before verdicts in the
#: direction it moved are held back.  On this project's 2-core virtual machine it moved 1.43x
#: between two quick runs of the same code, and the benchmarks through other processes moved
#: the same way by 1.1-1.6x (memory.search 1.31x, plugin.call_overhead 1.51x, rpc.throughput
#: 1.57x fewer pings), none of them significantly.  Beyond 1.25x a verdict in that direction
#: is the machine's as much as the code's.
IPC_TOLERANCE: Final = 1.25
#: Repetitions each run needs before its repetitions, not its samples, are the test's units.
MIN_REPEATS: Final = 2
ORDER: Final = {"slower": 0, "unsure": 1, "faster": 2, "same": 3, "not compared": 4}


class Row(TypedDict):
    """One benchmark in a comparison.

    `ratio` is new / base medians; `cost_ratio` is the same turned so above 1 is worse (the
    inverse for rates); the interval is of `ratio`.  `threshold` is the ratio the row's
    verdict needed.  `note` says why a row is not compared, or that its samples are too few
    for the test ever to reject.
    """

    name: str
    group: str
    unit: str
    better: str
    base_median: float | None
    new_median: float | None
    base_n: int
    new_n: int
    ratio: float | None
    cost_ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    threshold: float
    verdict: str
    note: str


class Comparison(TypedDict):
    """Two runs compared: which, how, every benchmark's row, and the geometric means."""

    base: str
    new: str
    base_machine: dict[str, Any]
    new_machine: dict[str, Any]
    calibrated: bool
    ipc_ratio: float | None
    ipc_tolerance: float
    threshold: float
    alpha: float
    rows: list[Row]
    groups: dict[str, float]
    slower: list[str]
    faster: list[str]
    unsure: list[str]


def compare(base: dict[str, Any], new: dict[str, Any], *, threshold: float | None = None,
            alpha: float = ALPHA, thresholds: Mapping[str, float] | None = None) -> Comparison:
    """Compare run new against run base (both as their JSON records).

    A threshold given holds for every benchmark; else each has its own from thresholds
    (the budgets file's, `Budgets.ratios()`), or THRESHOLD.
    """
    if threshold is not None and threshold <= 1:
        raise ValueError(f"the threshold is a ratio above 1, not {threshold!r}")
    own = {} if threshold is not None else dict(thresholds or {})
    default = THRESHOLD if threshold is None else threshold
    calibrated = not same_machine(base["machine"], new["machine"])
    scales = (_calibration(base), _calibration(new)) if calibrated else (1.0, 1.0)
    theirs = {b["name"]: b for b in base["benchmarks"]}
    ours = {b["name"]: b for b in new["benchmarks"]}
    names = list(theirs) + [n for n in ours if n not in theirs]
    rows = [_row(theirs.get(n), ours.get(n), scales, own.get(n, default), alpha)
            for n in names]
    machine = None if calibrated else ipc_ratio(base, new)
    if machine is not None and not steady(machine):
        for row in rows:
            _hold_back(row, machine)
    rows.sort(key=lambda r: ORDER[r["verdict"]])  # stable: regressions first, suite order
    return Comparison(base=base["run_id"], new=new["run_id"], base_machine=base["machine"],
                      new_machine=new["machine"], calibrated=calibrated,
                      ipc_ratio=machine, ipc_tolerance=IPC_TOLERANCE,
                      threshold=default, alpha=alpha, rows=rows, groups=geometric_means(rows),
                      slower=_named(rows, "slower"), faster=_named(rows, "faster"),
                      unsure=_named(rows, "unsure"))


def _named(rows: list[Row], verdict: str) -> list[str]:
    return [r["name"] for r in rows if r["verdict"] == verdict]


def ipc_ratio(base: dict[str, Any], new: dict[str, Any]) -> float | None:
    """New / base median of the inter-process control; None when a run lacks it (schema < 3)."""
    figures = [run.get("ipc", {}).get("median") for run in (base, new)]
    if not all(isinstance(f, int | float) and f > 0 for f in figures):
        return None
    return float(figures[1]) / float(figures[0])


def steady(ratio: float) -> bool:
    """Whether the control's ratio between two runs is within IPC_TOLERANCE, either way."""
    return 1 / IPC_TOLERANCE <= ratio <= IPC_TOLERANCE


def _hold_back(row: Row, moved: float) -> None:
    """A verdict in the direction the machine moved becomes "unsure", saying why."""
    along = "slower" if moved > 1 else "faster"
    if row["verdict"] != along:
        return
    row["verdict"] = "unsure"
    row["note"] = (f"{along} by {row['cost_ratio']:.2f}x, but the machine itself was "
                   f"{moved:.2f}x {'slower' if moved > 1 else 'faster'} at an inter-process "
                   f"round trip in the new run: run both again on a steady machine")


def _calibration(run: dict[str, Any]) -> float:
    median = float(run["calibration"]["median"])
    if median <= 0:
        raise ValueError(f"run {run['run_id']} has no usable calibration ({median})")
    return median


def _row(base: dict[str, Any] | None, new: dict[str, Any] | None, scales: tuple[float, float],
         threshold: float, alpha: float) -> Row:
    either = new if new is not None else base
    assert either is not None
    row = Row(name=either["name"], group=group_of(either["name"]), unit=either["unit"],
              better=better_of(either), base_median=None, new_median=None,
              base_n=len(base["samples"]) if base else 0,
              new_n=len(new["samples"]) if new else 0, ratio=None, cost_ratio=None,
              ci_low=None, ci_high=None, p_value=None, threshold=threshold,
              verdict="not compared", note="")
    why = _why_not(base, "base") or _why_not(new, "new")
    if why or base is None or new is None:
        row["note"] = why
        return row
    # A cost is divided by its run's calibration, a rate multiplied: both then read in
    # calibration loops, which a faster machine runs faster too.
    power = -1 if row["better"] == "lower" else 1
    xs = [s * scales[0] ** power for s in base["samples"]]
    ys = [s * scales[1] ** power for s in new["samples"]]
    by_base, by_new = repetition_medians(base, xs), repetition_medians(new, ys)
    if by_base is not None and by_new is not None:
        _judge(row, by_base, by_new, threshold, alpha)
        row["note"] = row["note"] or (f"compared by repetition medians ({len(by_base)} and "
                                      f"{len(by_new)}): the noise between runs is weighed")
    else:
        _judge(row, xs, ys, threshold, alpha)
        if row["verdict"] in ("slower", "faster") and not row["note"]:
            row["note"] = ("one repetition in a run: only the noise within each run was "
                           "weighed; --repeat 5 on both runs weighs the noise between runs too")
    return row


def repetition_medians(bench: dict[str, Any], samples: list[float]) -> list[float] | None:
    """The median of each repetition of samples (bench's `repeats` says how many each gave);
    None with fewer than MIN_REPEATS repetitions, or counts that do not add up."""
    import numpy as np  # noqa: PLC0415

    counts = [int(c) for c in bench.get("repeats") or []]
    if len(counts) < MIN_REPEATS or sum(counts) != len(samples) or 0 in counts:
        return None
    ends = np.cumsum(counts)
    return [float(np.median(samples[end - count:end])) for count, end in zip(counts, ends,
                                                                              strict=True)]


def _why_not(bench: dict[str, Any] | None, side: str) -> str:
    if bench is None:
        return f"not in the {side} run"
    if not bench["samples"]:
        state = run_verdict(bench)
        reason = bench.get("error") or bench.get("not_run") or "no samples saved"
        return f"{state} in the {side} run: {reason}"
    return ""


def _judge(row: Row, xs: list[float], ys: list[float], threshold: float, alpha: float) -> None:
    """Fill row's figures and verdict from the (calibrated) samples of base and new."""
    import numpy as np  # noqa: PLC0415  (the suite's other users need no numpy)

    base_median, new_median = float(np.median(xs)), float(np.median(ys))
    row["base_median"], row["new_median"] = base_median, new_median
    if base_median == 0 or new_median == 0:
        row["note"] = "a median is 0: no ratio"
        row["verdict"] = "same" if base_median == new_median else "not compared"
        return
    ratio = new_median / base_median
    cost = ratio if row["better"] == "lower" else 1 / ratio
    p = inference.mann_whitney_u(xs, ys).p
    low, high = inference.ratio_interval(xs, ys)
    row["ratio"], row["cost_ratio"], row["p_value"] = ratio, cost, p
    row["ci_low"], row["ci_high"] = _finite(low), _finite(high)
    significant = p < alpha
    row["verdict"] = ("slower" if significant and cost > threshold else
                      "faster" if significant and cost < 1 / threshold else "same")
    if inference.smallest_p(len(xs), len(ys)) >= alpha:
        row["note"] = (f"too few samples ({len(xs)} and {len(ys)}) for the test to reject "
                       f"sameness at p < {alpha:g}: run more (--repeat)")


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def geometric_means(rows: list[Row]) -> dict[str, float]:
    """Each group's geometric mean of its compared rows' cost ratios (above 1: slower)."""
    logs: dict[str, list[float]] = {}
    for row in rows:
        if row["cost_ratio"] is not None and row["cost_ratio"] > 0:
            logs.setdefault(row["group"], []).append(math.log(row["cost_ratio"]))
    return {group: math.exp(sum(values) / len(values)) for group, values in logs.items()}


EXIT_SLOWER: Final = 1
EXIT_UNSURE: Final = 3


def exit_code(comparison: Comparison) -> int:
    """1 when a benchmark got slower (for CI), else 3 when one may have but the machine moved
    too (a verdict held back), else 0."""
    if comparison["slower"]:
        return EXIT_SLOWER
    return EXIT_UNSURE if comparison["unsure"] else 0


_COLUMNS: Final = ("benchmark", "unit", "base", "new", "ratio", "95% CI", "p", "verdict")


def format_comparison(comparison: Comparison) -> str:
    """The comparison as a person reads it: how it compared, the table, the group means."""
    from pajamas.perf.machine import describe  # noqa: PLC0415
    from pajamas.perf.report import table  # noqa: PLC0415

    how = ("runs from two machines: each figure is a ratio to its run's calibration "
           "(a fixed CPU loop)" if comparison["calibrated"] else
           "one machine: raw figures")
    lines = [f"compare {comparison['base']} (base) → {comparison['new']} (new): {how}",
             f"  base: {describe(comparison['base_machine'])}",
             f"  new:  {describe(comparison['new_machine'])}",
             f"  slower or faster only past {comparison['threshold']:g}x and at "
             f"p < {comparison['alpha']:g} (Mann-Whitney U); ratio = new / base median",
             *_own_thresholds(comparison), *_machine_moved(comparison), ""]
    lines += table(_COLUMNS, [_cells(r) for r in comparison["rows"]], numeric={2, 3, 4, 6})
    notes = [f"{r['name']}: {r['note']}" for r in comparison["rows"] if r["note"]]
    means = ", ".join(f"{g} {v:.3f}x" for g, v in sorted(comparison["groups"].items()))
    lines += ["", f"geometric mean of cost ratios per group (above 1: slower): {means or '-'}"]
    lines += ["", *notes] if notes else []
    verdict = (f"{len(comparison['slower'])} slower: {', '.join(comparison['slower'])}"
               if comparison["slower"] else "nothing slower")
    if comparison["unsure"]:
        verdict += (f"; {len(comparison['unsure'])} unsure (the machine moved): "
                    f"{', '.join(comparison['unsure'])}")
    return "\n".join([*lines, "", verdict])


def machine_moved(comparison: Comparison) -> str:
    """A sentence on the inter-process control between the runs; "" when it does not apply."""
    ratio = comparison.get("ipc_ratio")
    if ratio is None:
        return ""
    if steady(ratio):
        return (f"the machine held steady: its inter-process round trip moved {ratio:.2f}x "
                f"(within {IPC_TOLERANCE:g}x)")
    return (f"the machine moved: its inter-process round trip was {ratio:.2f}x in the new run "
            f"(beyond {IPC_TOLERANCE:g}x), so verdicts in that direction are held back as unsure")


def _machine_moved(comparison: Comparison) -> list[str]:
    sentence = machine_moved(comparison)
    return [f"  {sentence}"] if sentence else []


def own_thresholds(comparison: Comparison) -> dict[str, float]:
    """The benchmarks judged by a threshold of their own (the budgets file's), by name."""
    return {r["name"]: r["threshold"] for r in comparison["rows"]
            if r["threshold"] != comparison["threshold"]}


def _own_thresholds(comparison: Comparison) -> list[str]:
    own = [f"{name} {ratio:g}x" for name, ratio in own_thresholds(comparison).items()]
    return [f"  own thresholds (budgets file): {', '.join(own)}"] if own else []


def _cells(row: Row) -> tuple[str, ...]:
    from pajamas.perf.report import number  # noqa: PLC0415

    interval = ("-" if row["ci_low"] is None or row["ci_high"] is None else
                f"{row['ci_low']:.3f}-{row['ci_high']:.3f}")
    ratio = "-" if row["ratio"] is None else f"{row['ratio']:.3f}x"
    p = "-" if row["p_value"] is None else p_text(row["p_value"])
    return (row["name"], row["unit"], number(row["base_median"]), number(row["new_median"]),
            ratio, interval, p, row["verdict"])


def p_text(p: float) -> str:
    """A p-value in two figures; below what a float tells apart from 0, "<1e-16"."""
    return "<1e-16" if p < 1e-16 else f"{p:.2g}"
