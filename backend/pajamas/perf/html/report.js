// Draws each benchmark's plots from the report's embedded data (the perf-data script tag):
// the distribution of its samples (sorted, against percentiles; the base run's beside it when
// the report compares) and its median over the saved runs.  Sets data-plots on <body> to the
// number of charts drawn, so a test can wait for them.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("perf-data").textContent);
  const css = getComputedStyle(document.documentElement);
  const color = (name) => css.getPropertyValue(name).trim() || "#888";
  const axis = { stroke: color("--muted"), grid: { stroke: color("--border"), width: 1 },
                 ticks: { stroke: color("--border"), width: 1 }, size: 64 };
  const whole = { ...axis, incrs: [1, 2, 5, 10, 20, 50, 100], values: (u, v) => v.map(String) };
  // Timings have long tails: a log scale shows the body and the tail at once.
  const logScale = (values) => {
    const positive = values.filter((v) => v > 0);
    return positive.length === values.length && Math.max(...values) / Math.min(...values) > 20;
  };
  let drawn = 0;

  function chart(el, opts, series) {
    const width = Math.max(320, el.clientWidth || 480);
    new uPlot({ width, height: 240, ...opts }, series, el);
    drawn += 1;
  }

  function distribution(el, bench) {
    const series = [{ label: "percentile", value: (u, v) => (v == null ? "—" : `${v.toFixed(1)} %`) },
      { label: `this run (${bench.unit})`, stroke: color("--accent"), width: 1.5, points: { show: false } }];
    const xs = bench.quantiles.map((_, i, all) => (all.length === 1 ? 50 : (i / (all.length - 1)) * 100));
    const columns = [xs, bench.quantiles];
    if (bench.base_quantiles && bench.base_quantiles.length === bench.quantiles.length) {
      series.push({ label: "base run", stroke: color("--muted"), width: 1.5, dash: [6, 4], points: { show: false } });
      columns.push(bench.base_quantiles);
    }
    const all = columns.slice(1).flat();
    const y = logScale(all) ? { distr: 3 } : {};
    chart(el, { scales: { x: { time: false }, y }, series,
                axes: [{ ...axis, values: (u, v) => v.map((x) => `${x}%`) }, axis] }, columns);
  }

  function history(el, bench) {
    const points = bench.history;
    const xs = points.map((_, i) => i + 1);
    chart(el, { scales: { x: { time: false } },
                series: [{ label: "run", value: (u, v) => (v == null ? "—" : points[v - 1]?.run_id ?? "") },
                         { label: `median (${bench.unit})`, stroke: color("--accent"), width: 1.5,
                           points: { show: true, size: 5 } }],
                axes: [whole, axis] }, [xs, points.map((p) => p.median)]);
  }

  for (const bench of data.benchmarks) {
    const dist = document.querySelector(`[data-plot="dist"][data-bench="${CSS.escape(bench.name)}"] .chart`);
    const hist = document.querySelector(`[data-plot="history"][data-bench="${CSS.escape(bench.name)}"] .chart`);
    if (dist && bench.quantiles.length) distribution(dist, bench);
    if (hist && bench.history.length) history(hist, bench);
  }
  document.body.dataset.plots = String(drawn);
})();
