// The dashboard's data, apart from the DOM: a bounded table of metrics (a ring of samples),
// history aligned on one time axis, the process and alert bookkeeping. Pure: node tests it.

/** Metric names of one process: "<name>.rss", "<name>.cpu_percent" (monitor.history's). */
export const processMetric = (name, figure) => `${name}.${figure}`;

export const RPC_METRICS = ["core.requests_per_s", "core.latency_p50_us", "core.latency_p99_us"];
export const CACHE_METRICS = ["cache.hit_rate"];

/** One monitor.sample as metric name → value, the same vocabulary as monitor.history. */
export function sampleValues(sample) {
  const values = {};
  for (const p of sample?.processes ?? []) {
    if (Number.isFinite(p.rss)) values[processMetric(p.name, "rss")] = p.rss;
    if (Number.isFinite(p.cpu_percent)) values[processMetric(p.name, "cpu_percent")] = p.cpu_percent;
  }
  for (const [key, value] of Object.entries(sample?.rpc ?? {})) {
    if (Number.isFinite(value)) values[`core.${key}`] = value;
  }
  for (const [key, value] of Object.entries(sample?.gauges ?? {})) {
    if (Number.isFinite(value)) values[key] = value;
  }
  return values;
}

/**
 * A table of at most `capacity` rows: `times` and one column per metric, each a plain array
 * mutated in place (so a chart can be handed the same arrays again, no copy per sample).
 * A metric seen late is padded with nulls; one with no value in the whole window is dropped.
 */
export function createRing(capacity) {
  const table = { times: [], cols: new Map(), capacity, shape: 0 };
  table.push = (time, values) => pushRow(table, time, values);
  table.clear = () => { table.times.length = 0; table.cols.clear(); table.shape += 1; };
  return table;
}

function pushRow(table, time, values) {
  const { times, cols } = table;
  const length = times.length;
  times.push(time);
  for (const [metric, column] of cols) column.push(values[metric] ?? null);
  for (const [metric, value] of Object.entries(values)) {
    if (cols.has(metric)) continue;
    const column = new Array(length).fill(null);
    column.push(value);
    cols.set(metric, column);
    table.shape += 1; // the set of metrics changed: charts rebuild their series
  }
  if (times.length > table.capacity) {
    times.shift();
    for (const [metric, column] of cols) {
      column.shift();
      if (column.every((v) => v === null)) { cols.delete(metric); table.shape += 1; }
    }
  }
}

/**
 * monitor.history answers ({metric: [[time, value]]}) on one axis of `buckets` steps from
 * `start` to `end`: points falling in one step are averaged; a step without points is null.
 */
export function alignHistory(seriesByMetric, start, end, buckets) {
  const step = (end - start) / buckets;
  const times = Array.from({ length: buckets }, (_, i) => start + (i + 0.5) * step);
  const cols = new Map();
  for (const [metric, points] of Object.entries(seriesByMetric)) {
    const sums = new Array(buckets).fill(0);
    const counts = new Array(buckets).fill(0);
    for (const [t, v] of points ?? []) {
      if (!Number.isFinite(v)) continue;
      const i = Math.min(buckets - 1, Math.floor((t - start) / step));
      if (i < 0) continue;
      sums[i] += v;
      counts[i] += 1;
    }
    if (counts.some(Boolean)) cols.set(metric, sums.map((s, i) => (counts[i] ? s / counts[i] : null)));
  }
  // Drop the empty steps at both ends, so the chart starts where the data starts.
  let first = 0;
  let last = buckets - 1;
  const any = (i) => [...cols.values()].some((c) => c[i] !== null);
  while (first <= last && !any(first)) first += 1;
  while (last >= first && !any(last)) last -= 1;
  const trim = (a) => a.slice(first, last + 1);
  return { times: trim(times), cols: new Map([...cols].map(([m, c]) => [m, trim(c)])), shape: 0 };
}

/** The process names with a column of `figure`, core first, then the shell, then by name. */
export function processNames(cols, figure) {
  const suffix = `.${figure}`;
  const names = [...cols.keys()].filter((m) => m.endsWith(suffix)).map((m) => m.slice(0, -suffix.length))
    .filter((n) => !n.startsWith("core.") && n !== "system" && n !== "cache");
  const rank = (n) => (n === "core" ? 0 : n === "shell" ? 1 : 2);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The metrics monitor.history is asked for: each process's RSS and CPU, rpc and cache. */
export function historyMetrics(available) {
  const wanted = new Set([...RPC_METRICS, ...CACHE_METRICS]);
  return available.filter((m) => wanted.has(m) || m.endsWith(".rss") || m.endsWith(".cpu_percent"))
    .filter((m) => !m.startsWith("system."));
}

export const RANGES = [
  { id: "live", label: "Live", seconds: null },
  { id: "1h", label: "1 hour", seconds: 3600 },
  { id: "24h", label: "24 hours", seconds: 86400 },
  { id: "7d", label: "7 days", seconds: 7 * 86400 },
];

/** Alerts by id: the active ones, and the cleared ones newest first (at most `keep`). */
export function createAlertBook(keep = 100) {
  return { active: new Map(), cleared: [], keep };
}

/** Applies one alert (from monitor.alerts or a monitor.alert event); returns the book. */
export function applyAlert(book, alert) {
  if (!alert?.id) return book;
  const active = new Map(book.active);
  let cleared = book.cleared;
  if (alert.state === "cleared") {
    active.delete(alert.id);
    cleared = [alert, ...cleared.filter((a) => !(a.id === alert.id && a.time === alert.time))].slice(0, book.keep);
  } else {
    active.set(alert.id, alert);
  }
  return { ...book, active, cleared };
}

/** "slope 2.50 MB/min (threshold 1.00 MB/min)" for a leak, "612 MB (threshold 512 MB)" else. */
export function describeAlertFigure(alert) {
  const num = (v) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)) : "—");
  const unit = alert.unit ? ` ${alert.unit}` : "";
  const what = alert.kind === "leak" ? "slope " : "";
  return `${what}${num(alert.value)}${unit} (threshold ${num(alert.threshold)}${unit})`;
}

/** cache.stats as rows: [{namespace, hit_rate, bytes, tiers: {hot|warm|cold: {hit_rate, bytes, items}}}]. */
export function cacheRows(stats) {
  const rows = Object.entries(stats?.namespaces ?? {}).map(([namespace, ns]) => ({
    namespace, hit_rate: ns.hit_rate ?? null, bytes: ns.bytes ?? null, items: ns.items ?? null,
    tiers: Object.fromEntries(CACHE_TIERS.map((t) => [t, ns.tiers?.[t] ?? null])),
  }));
  return rows.sort((a, b) => a.namespace.localeCompare(b.namespace));
}

export const CACHE_TIERS = ["hot", "warm", "cold"];

/** Bytes of each tier over every namespace. */
export function tierBytes(rows) {
  const sums = Object.fromEntries(CACHE_TIERS.map((t) => [t, 0]));
  for (const row of rows) for (const t of CACHE_TIERS) sums[t] += row.tiers[t]?.bytes ?? 0;
  return sums;
}

const MIN_SPAN_S = 60;

/**
 * A chart's time axis (uPlot's range of the x scale, in seconds): the data's span, or at least
 * the minute that ends at its latest point. One point alone would stretch the axis over
 * years, and the first seconds of a page just opened would read in milliseconds (":12.700").
 */
export function timeRange(u, min, max) {
  return max - min < MIN_SPAN_S ? [max - MIN_SPAN_S, max] : [min, max];
}

/**
 * The time axis's tick labels, one line each (uPlot's own add a second line of dates, which
 * overlap where the minute or the day turns): seconds when the ticks are seconds apart, hours
 * and minutes within a day, else the date. `splits` are seconds since the epoch; `incr` the
 * seconds between two ticks.
 */
export function timeTicks(splits, incr, locale = undefined) {
  const options = incr < 60 ? { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }
    : incr < 86400 ? { hour: "2-digit", minute: "2-digit", hour12: false }
      : { month: "short", day: "numeric" };
  const format = new Intl.DateTimeFormat(locale, options);
  return splits.map((t) => format.format(new Date(t * 1000)));
}
