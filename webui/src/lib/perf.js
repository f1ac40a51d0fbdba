// The performance page's figures, apart from the DOM: verdicts, targets, suites, and the
// core's comparison of two runs (perf.compare) as text.  Pure: node tests it.

export const SLOWER_RATIO = 1.1; // perf.compare's default threshold

/** The suites perf.run takes, as the form offers them. */
export const SUITES = [
  { name: "quick", label: "quick: the vital signs (a couple of minutes)" },
  { name: "full", label: "full: every benchmark at full size" },
  ...["rpc", "memory", "cache", "plugin", "chat", "ui", "monitor", "startup", "load"]
    .map((name) => ({ name, label: `${name}: its group at full size` })),
];

const SYMBOL = { "<=": "≤", ">=": "≥" };

/** "pass", "FAIL", "ERROR", "unsupported here" or "no budget", as `pajamas perf run` says it. */
export function verdictOf(bench) {
  if (bench.error !== null && bench.error !== undefined) return "ERROR";
  if (bench.not_run !== null && bench.not_run !== undefined) return "unsupported here";
  if (bench.passed === null || bench.passed === undefined) return "no budget";
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
  if (bench?.better) return bench.better !== "higher";
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

/** Counts of verdicts in a run: {pass, FAIL, ERROR, "unsupported here", "no budget"}. */
export function countVerdicts(run) {
  const counts = { pass: 0, FAIL: 0, ERROR: 0, "unsupported here": 0, "no budget": 0 };
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
  if (!SUITES.some((s) => s.name === suite)) return { error: "Pick a suite: quick, full or a group." };
  if (mode === "all") return { params: { suite } };
  const only = [...chosen];
  if (only.length === 0) return { error: "Choose at least one benchmark, or run them all." };
  return { params: { suite, only } };
}

/** A row of perf.compare as text: "1.23× (1.10–1.40)", its p-value, or what it lacks. */
export function ratioText(row) {
  if (!Number.isFinite(row?.ratio)) return "—";
  const interval = Number.isFinite(row.ci_low) && Number.isFinite(row.ci_high)
    ? ` (${row.ci_low.toFixed(2)}–${row.ci_high.toFixed(2)})` : "";
  return `${row.ratio.toFixed(2)}×${interval}`;
}

/** perf.compare's groups as "rpc 1.02×, cache 0.97×" (above 1: slower). */
/** What the inter-process control did between the two runs of a comparison; "" if untimed. */
export function machineMovedText(result) {
  const ratio = result?.ipc_ratio;
  if (typeof ratio !== "number") return "";
  const tolerance = result.ipc_tolerance;
  if (ratio >= 1 / tolerance && ratio <= tolerance) {
    return `The machine held steady: its inter-process round trip moved ${ratio.toFixed(2)}× (within ${tolerance}×).`;
  }
  return `The machine moved: its inter-process round trip was ${ratio.toFixed(2)}× in this run (beyond ${tolerance}×), so verdicts in that direction are held back as unsure.`;
}

export function groupMeansText(groups) {
  const entries = Object.entries(groups ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.map(([group, mean]) => `${group} ${mean.toFixed(3)}×`).join(", ") || "—";
}
