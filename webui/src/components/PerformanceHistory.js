// One benchmark's median over the saved runs (perf.history) as a uPlot chart, oldest first,
// with this run's point marked: the window's view of `pajamas perf history NAME`.
import { html, useEffect, useRef, useState } from "../lib/preact.js";
import { call } from "../bridge.js";
import { followWidth, uPlot } from "../lib/uplot.js";
import { axes, chartColors, useThemeVersion } from "./DashboardChart.js";
import { formatFigure } from "../lib/perf.js";

const HEIGHT = 200;

export function PerformanceHistory({ name, runId }) {
  const box = useRef(null);
  const [points, setPoints] = useState(null);
  const [error, setError] = useState(null);
  const theme = useThemeVersion();

  useEffect(() => {
    let gone = false;
    setPoints(null); setError(null);
    call("perf.history", { name, limit: 50 }, { quiet: true })
      .then((r) => { if (!gone) setPoints(r.items.filter((p) => Number.isFinite(p.median))); })
      .catch((e) => { if (!gone) setError(e); });
    return () => { gone = true; };
  }, [name, runId]);

  useEffect(() => {
    const el = box.current;
    if (!el || !points || points.length === 0) return undefined;
    const colors = chartColors();
    const xs = points.map((_, i) => i + 1);
    const mine = points.map((p) => (p.run_id === runId ? p.median : null));
    const chart = new uPlot({
      width: Math.max(240, el.clientWidth), height: HEIGHT, scales: { x: { time: false } },
      series: [
        { label: "run", value: (u, v) => (v === null ? "—" : points[v - 1]?.run_id ?? "") },
        { label: `median (${points[0].unit})`, stroke: colors.series[0], width: 1.5, points: { show: true, size: 5 },
          value: (u, v) => (v === null ? "—" : formatFigure(v)) },
        { label: "this run", stroke: colors.series[1], width: 0, points: { show: true, size: 9 },
          value: (u, v) => (v === null ? "—" : formatFigure(v)) },
      ],
      axes: axes(colors, formatFigure, { values: (u, vals) => vals.map(String) }),
    }, [xs, points.map((p) => p.median), mine], el);
    return followWidth(chart, el, HEIGHT);
  }, [points, runId, theme]);

  return html`
    <figure class="panel dash-chart perf-history" role="group" aria-label=${`History of ${name}`}
            data-testid="perf-history" data-bench=${name} data-points=${points?.length ?? 0}>
      <figcaption class="dash-chart-head">
        <h3>History of <code>${name}</code></h3>
        <span class="muted">its median in every saved run, oldest first</span>
      </figcaption>
      ${error && html`<p class="inline-error" role="alert">Could not read the history: ${error.message}</p>`}
      ${points === null && !error && html`<p class="muted">Loading the history…</p>`}
      ${points && points.length === 0 && html`<p class="muted">No saved run measured ${name}.</p>`}
      ${points && points.length > 0 && html`<div class="dash-chart-plot" ref=${box} aria-hidden="true"></div>`}
    </figure>`;
}
