// A benchmark's raw samples (from the run JSON) as a uPlot chart: in the order they were
// taken, or sorted (the distribution), with the median, the p95 and each target as lines.
import { html, useEffect, useRef, useState } from "../lib/preact.js";
import { followWidth, uPlot } from "../lib/uplot.js";
import { axes, chartColors, useThemeVersion } from "./DashboardChart.js";
import { formatFigure, targetText } from "../lib/perf.js";

const HEIGHT = 240;

export function PerformanceSamples({ bench }) {
  const box = useRef(null);
  const [sorted, setSorted] = useState(false);
  const theme = useThemeVersion();
  const samples = bench.samples ?? [];

  useEffect(() => {
    const el = box.current;
    if (!el || samples.length === 0) return undefined;
    const colors = chartColors();
    const ys = sorted ? [...samples].sort((a, b) => a - b) : samples;
    const xs = ys.map((_, i) => (sorted ? (i + 1) / ys.length * 100 : i + 1));
    const flat = (v) => ys.map(() => v);
    const lines = [
      { label: "median", value: bench.median, stroke: colors.series[1], dash: [6, 4] },
      { label: "p95", value: bench.p95, stroke: colors.series[2], dash: [6, 4] },
      ...bench.targets.map((t) => ({ label: `target ${targetText(t, "")}`, value: t.value, stroke: colors.series[7], dash: [2, 3] })),
    ].filter((l) => Number.isFinite(l.value));
    const fmt = (v) => formatFigure(v);
    const chart = new uPlot({
      width: Math.max(240, el.clientWidth), height: HEIGHT,
      scales: { x: { time: false } },
      legend: { show: true },
      series: [
        { label: sorted ? "percentile" : "sample", value: (u, v) => (v === null ? "—" : sorted ? `${v.toFixed(1)} %` : String(v)) },
        { label: `${bench.name} (${bench.unit})`, stroke: colors.series[0], width: 1, points: { show: ys.length <= 200 }, value: (u, v) => (v === null ? "—" : fmt(v)) },
        ...lines.map((l) => ({ label: l.label, stroke: l.stroke, width: 1.5, dash: l.dash, points: { show: false }, value: () => fmt(l.value) })),
      ],
      axes: axes(colors, fmt, { values: (u, vals) => vals.map((v) => (sorted ? `${v} %` : String(v))) }),
    }, [xs, ys, ...lines.map((l) => flat(l.value))], el);
    return followWidth(chart, el, HEIGHT);
  }, [bench, sorted, theme]);

  return html`
    <figure class="panel dash-chart perf-samples" role="group" aria-label=${`Samples of ${bench.name}`}
            data-testid="perf-samples" data-bench=${bench.name} data-points=${samples.length}>
      <figcaption class="dash-chart-head">
        <h3>Samples of <code>${bench.name}</code></h3>
        <span class="muted">${samples.length} samples, ${bench.unit}</span>
        <span class="spacer"></span>
        <label class="field-inline">
          <input type="checkbox" checked=${sorted} onChange=${(e) => setSorted(e.currentTarget.checked)} />
          <span>sorted (the distribution)</span>
        </label>
      </figcaption>
      ${samples.length === 0
        ? html`<p class="muted">This run saved no samples for ${bench.name}; only its summary is shown above.</p>`
        : html`<div class="dash-chart-plot" ref=${box} aria-hidden="true"></div>`}
      <p class="visually-hidden">median ${formatFigure(bench.median)}, p95 ${formatFigure(bench.p95)}, min ${formatFigure(bench.min)}, max ${formatFigure(bench.max)} ${bench.unit}</p>
    </figure>`;
}
