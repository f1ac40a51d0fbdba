// A uPlot chart of a few columns of a dashboard table ({times, cols}), made once and fed in
// place: a new `version` calls setData with the same arrays; the chart is rebuilt only when
// its series, its table or the theme change. Colours come from the theme's CSS variables.
import { html, useEffect, useRef, useState } from "../lib/preact.js";
import { uPlot } from "../lib/uplot.js";
import { onThemeChange } from "../lib/theme.js";
import { timeRange, timeTicks } from "../lib/dashboard.js";

const PALETTE_SIZE = 10;

/** The theme's chart colours: {text, muted, grid, series: [colour]} from the CSS variables. */
export function chartColors(root = document.documentElement) {
  const style = getComputedStyle(root);
  const v = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  const series = Array.from({ length: PALETTE_SIZE }, (_, i) => v(`--chart-${i + 1}`, v("--accent", "#5b5bd6")));
  return { text: v("--text", "#1b1f27"), muted: v("--muted", "#667085"), grid: v("--border", "#e1e4ea"), series };
}

/** Rebuilds when the theme changes (a counter to put in an effect's dependencies). */
export function useThemeVersion() {
  const [version, setVersion] = useState(0);
  useEffect(() => onThemeChange(() => setVersion((n) => n + 1)), []);
  return version;
}

/** Axis options in the theme's colours; `format(value)` labels the y axis, `incrs` its steps. */
export function axes(colors, format, xOptions = {}, incrs = undefined) {
  const axis = { stroke: colors.muted, grid: { stroke: colors.grid, width: 1 }, ticks: { stroke: colors.grid, width: 1 } };
  const y = { ...axis, size: 72, values: (u, values) => values.map((v) => format(v)) };
  if (incrs) y.incrs = incrs;
  return [{ ...axis, ...xOptions }, y];
}

/** The last value of a column that is not null (what the legend shows without a cursor). */
export function lastOf(column) {
  for (let i = (column?.length ?? 0) - 1; i >= 0; i -= 1) if (column[i] !== null && column[i] !== undefined) return column[i];
  return null;
}

/**
 * props: label (accessible name and caption), table ({times, cols}), series ([{metric,
 * label}]), format(value) for the axis and legend, version (bump to redraw), height, testid,
 * note (a line under the caption).
 */
export function DashboardChart({ label, table, series, format, version, height = 190, testid, note, incrs, spanGaps = false }) {
  const box = useRef(null);
  const chart = useRef(null);
  const theme = useThemeVersion();
  const shape = series.map((s) => s.metric).join("|");
  const data = () => [table.times, ...series.map((s) => table.cols.get(s.metric) ?? table.times.map(() => null))];

  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const colors = chartColors();
    const made = new uPlot({
      width: Math.max(200, el.clientWidth), height,
      scales: { x: { time: true, range: timeRange } },
      legend: { show: true, live: true },
      cursor: { points: { size: 6 } },
      series: [
        { value: (u, v, si, di) => (di === null || di === undefined ? "latest" : new Date(v * 1000).toLocaleTimeString()) },
        ...series.map((s, i) => ({
          label: s.label, stroke: colors.series[i % colors.series.length], width: 1.5, spanGaps,
          ...(series.length > 3 ? { points: { show: false } } : {}), // many lines: no dots to draw
          // Without a cursor the legend shows each series' latest value.
          value: (u, v, si, di) => {
            const shown = di === null || di === undefined ? lastOf(u.data[si]) : v;
            return shown === null || shown === undefined ? "—" : format(shown);
          },
        }))],
      // One line of labels a tick, far enough apart for "19:03:10".
      axes: axes(colors, format, { space: 72, size: 34, values: (u, splits, ax, space, incr) => timeTicks(splits, incr) }, incrs),
    }, data(), el);
    chart.current = made;
    const resize = new ResizeObserver(() => {
      const width = Math.max(200, el.clientWidth);
      if (width !== made.width) made.setSize({ width, height });
    });
    resize.observe(el);
    return () => { resize.disconnect(); made.destroy(); chart.current = null; };
  }, [shape, table, theme, height]);

  useEffect(() => { chart.current?.setData(data()); }, [version]);

  const points = table.times.length;
  return html`
    <figure class="dash-chart panel" role="group" aria-label=${label} data-testid=${testid}
            data-points=${points} data-last=${points ? table.times[points - 1] : ""}>
      <figcaption class="dash-chart-head">
        <h3>${label}</h3>
        ${note && html`<span class="muted">${note}</span>`}
      </figcaption>
      ${(series.length === 0 || series.every((s) => lastOf(table.cols.get(s.metric)) === null))
        && html`<p class="muted dash-chart-empty" data-testid="chart-empty">No data in this range yet.</p>`}
      <div class="dash-chart-plot" ref=${box} aria-hidden="true"></div>
      <p class="visually-hidden" aria-live="off">
        ${series.map((s) => `${s.label}: ${lastValue(table.cols.get(s.metric), format)}`).join("; ")}
      </p>
    </figure>`;
}

function lastValue(column, format) {
  const value = lastOf(column);
  return value === null ? "—" : format(value);
}
