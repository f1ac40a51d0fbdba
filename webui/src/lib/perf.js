// The performance page's figures, apart from the DOM: verdicts, targets, run comparison.
// Pure: node tests it.

export const SLOWER_RATIO = 1.1; // a simple threshold until the performance issue adds statistics

const SYMBOL = { "<=": "≤", ">=": "≥" };

/** "pass", "FAIL", "ERROR" or "not run", as `pajamas perf report` says it. */
export function verdictOf(bench) {
  if (bench.error !== null && bench.error !== undefined) return "ERROR";
  if (bench.not_run !== null && bench.not_run !== undefined) return "not run";
  return bench.passed ? "pass" : "FAIL";
}

/** A figure with at most 3 significant decimals: 1234, 12.3, 0.123. */
export function formatFigure(value) {
  if (!Number.isFinite(value)) return "—";
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  if (value === 0) return "0";
  return value.toPrecision(3);
}

/** "p50 ≤ 150 µs" */
export function targetText(target, unit) {
  if (!target) return "—";
  return `${target.stat} ${SYMBOL[target.op] ?? target.op} ${formatFigure(target.value)}${unit ? ` ${unit}` : ""}`;
}

/** Whether lower figures are better for this benchmark (a cost), from its primary target. */
export function lowerIsBetter(bench) {
  return (bench?.target?.op ?? bench?.targets?.[0]?.op ?? "<=") === "<=";
}

/**
 * One run beside another, benchmark by benchmark (in this run's order, then the other's
 * extras): {name, unit, median, other, ratio (median / other's), verdict}; verdict is
 * "slower" or "faster" only past SLOWER_RATIO (the direction from the target: a rate that
 * drops is slower), "same" within it, "not comparable" when either median is missing.
 */
export function compareRuns(run, other) {
  const theirs = new Map((other?.benchmarks ?? []).map((b) => [b.name, b]));
  const names = [...(run?.benchmarks ?? []).map((b) => b.name)];
  for (const name of theirs.keys()) if (!names.includes(name)) names.push(name);
  const ours = new Map((run?.benchmarks ?? []).map((b) => [b.name, b]));
  return names.map((name) => {
    const a = ours.get(name);
    const b = theirs.get(name);
    const median = a?.median ?? null;
    const base = b?.median ?? null;
    const row = { name, unit: (a ?? b).unit, median, other: base, ratio: null, verdict: "not comparable" };
    if (!Number.isFinite(median) || !Number.isFinite(base) || base === 0) return row;
    row.ratio = median / base;
    const worse = lowerIsBetter(a ?? b) ? row.ratio : 1 / row.ratio;
    row.verdict = worse > SLOWER_RATIO ? "slower" : worse < 1 / SLOWER_RATIO ? "faster" : "same";
    return row;
  });
}

/** Counts of verdicts in a run: {pass, FAIL, ERROR, "not run"}. */
export function countVerdicts(run) {
  const counts = { pass: 0, FAIL: 0, ERROR: 0, "not run": 0 };
  for (const bench of run?.benchmarks ?? []) counts[verdictOf(bench)] += 1;
  return counts;
}

/** The benchmarks a filter text matches (name or description, case-insensitive). */
export function filterBenchmarks(items, text) {
  const needle = String(text ?? "").trim().toLowerCase();
  if (!needle) return items;
  return items.filter((b) => b.name.toLowerCase().includes(needle) || (b.description ?? "").toLowerCase().includes(needle));
}

/** perf.run's params from the form: {suite, only?}; an error message when it cannot run. */
export function runParams({ suite, mode, chosen }) {
  if (!["full", "quick"].includes(suite)) return { error: "Pick the full or the quick suite." };
  if (mode === "all") return { params: { suite } };
  const only = [...chosen];
  if (only.length === 0) return { error: "Choose at least one benchmark, or run them all." };
  return { params: { suite, only } };
}
