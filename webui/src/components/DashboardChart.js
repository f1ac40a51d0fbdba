// A uPlot chart of a few columns of a dashboard table ({times, cols}), made once and fed in
// place: a new `version` calls setData with the same arrays; the chart is rebuilt only when
// its series, its table or the theme change. Colours come from the theme's CSS variables.
import { html, useEffect, useRef, useState } from "../lib/preact.js";
import { uPlot } from "../lib/uplot.js";
import { onThemeChange } from "../lib/theme.js";

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

/** Axis options in the theme's colours; `format(value)` labels the y axis. */
export function axes(colors, format, xOptions = {}) {
  const axis = { stroke: colors.muted, grid: { stroke: colors.grid, width: 1 }, ticks: { stroke: colors.grid, width: 1 } };
  return [{ ...axis, ...xOptions }, { ...axis, size: 64, values: (u, values) => values.map((v) => format(v)) }];
}

/**
 * props: label (accessible name and caption), table ({times, cols}), series ([{metric,
 * label}]), format(value) for the axis and legend, version (bump to redraw), height, testid,
 * note (a line under the caption).
 */
export function DashboardChart({ label, table, series, format, version, height = 190, testid, note }) {
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
      scales: { x: { time: true } },
      legend: { show: true, live: true },
      cursor: { points: { size: 6 } },
      series: [{}, ...series.map((s, i) => ({
        label: s.label, stroke: colors.series[i % colors.series.length], width: 1.5,
        spanGaps: false, points: { show: false }, value: (u, v) => (v === null || v === undefined ? "—" : format(v)),
      }))],
      axes: axes(colors, format),
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
      ${series.length === 0 && html`<p class="muted dash-chart-empty">No data yet.</p>`}
      <div class="dash-chart-plot" ref=${box} aria-hidden="true"></div>
      <p class="visually-hidden" aria-live="off">
        ${series.map((s) => `${s.label}: ${lastValue(table.cols.get(s.metric), format)}`).join("; ")}
      </p>
    </figure>`;
}

function lastValue(column, format) {
  if (!column) return "—";
  for (let i = column.length - 1; i >= 0; i -= 1) if (column[i] !== null) return format(column[i]);
  return "—";
}
