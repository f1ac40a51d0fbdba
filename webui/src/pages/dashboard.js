// Dashboard: the hub's processes, requests, cache and alerts.
// Live from monitor.sample events into a bounded ring (5 minutes); 1 hour / 24 hours / 7 days
// from monitor.history. Charts are uPlot, made once and fed in place; updates pause while the
// window is hidden. Alerts come from monitor.alerts, then monitor.alert events.
import { html, useEffect, useRef, useState } from "../lib/preact.js";
import { call } from "../bridge.js";
import { useHubEvent } from "../lib/hooks.js";
import {
  CACHE_TIERS, RANGES, applyAlert, alignHistory, cacheRows, createAlertBook, createRing,
  describeAlertFigure, historyMetrics, processMetric, processNames, sampleValues, tierBytes,
} from "../lib/dashboard.js";
import { formatTime } from "../lib/format.js";
import { DashboardChart } from "../components/DashboardChart.js";
import { VirtualList } from "../components/VirtualList.js";

const LIVE_POINTS = 300; // 5 minutes at one sample a second
const HISTORY_POINTS = 300;
const CACHE_REFRESH_MS = 5000;
const REDRAW_MS = 2000; // charts redraw at most this often (the ring takes every sample)
const MIB = 1024 * 1024;

const fmtMB = (v) => `${(v / MIB).toFixed(v >= 100 * MIB ? 0 : 1)} MB`;
const fmtCpu = (v) => `${v.toFixed(1)} %`;
const fmtRate = (v) => `${v.toFixed(v >= 100 ? 0 : 1)}/s`;
const fmtLatency = (v) => (v >= 1000 ? `${(v / 1000).toFixed(v >= 100_000 ? 0 : 1)} ms` : `${v.toFixed(0)} µs`);
const fmtShare = (v) => `${(v * 100).toFixed(0)} %`;
// Axis steps for bytes in whole MiB multiples (so ticks read 100 MB, not 95.4 MB).
const MB_STEPS = [0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000].map((n) => n * MIB);
const fmtBytes = (v) => (Number.isFinite(v) ? (v >= MIB ? fmtMB(v) : `${(v / 1024).toFixed(1)} KB`) : "—");

export function DashboardPage() {
  const [range, setRange] = useState("live");
  const ring = useRef(null);
  if (!ring.current) ring.current = createRing(LIVE_POINTS);
  return html`
    <div class="page dash">
      <header class="page-head">
        <h2>Dashboard</h2>
        <p class="muted">The hub's processes, requests, cache and alerts.</p>
      </header>
      <div class="toolbar">
        <div class="segmented" role="radiogroup" aria-label="Time range" data-testid="dash-range"
             onKeyDown=${(e) => rangeKey(e, range, setRange)}>
          ${RANGES.map((r) => html`
            <button type="button" role="radio" class="segment" aria-checked=${range === r.id ? "true" : "false"}
                    tabindex=${range === r.id ? 0 : -1} data-range=${r.id} onClick=${() => setRange(r.id)}>${r.label}</button>`)}
        </div>
        <span class="muted">${range === "live" ? "the last 5 minutes, redrawn every 2 s" : "from the monitor's history"}</span>
      </div>
      <${LiveFeed} ring=${ring.current} range=${range} />
      <${AlertsPanel} />
      <${CachePanel} />
    </div>`;
}

/** Arrow keys move the choice within the radio group (one tab stop, as a radio group has). */
function rangeKey(event, range, setRange) {
  const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
  if (!step) return;
  event.preventDefault();
  const i = (RANGES.findIndex((r) => r.id === range) + step + RANGES.length) % RANGES.length;
  setRange(RANGES[i].id);
  const group = event.currentTarget;
  requestAnimationFrame(() => group.querySelector(`[data-range="${RANGES[i].id}"]`)?.focus());
}

/** Feeds the ring from monitor.sample always; redraws only in live mode with the window shown. */
function LiveFeed({ ring, range }) {
  const live = range === "live";
  const [version, setVersion] = useState(0);
  const liveRef = useRef(live);
  liveRef.current = live;
  const drawn = useRef(0);
  const redraw = (force = false) => {
    if (!liveRef.current || document.visibilityState === "hidden") return;
    const now = performance.now();
    // The first few samples draw at once, so a page just opened shows a line, not a dot.
    if (!force && ring.times.length > 20 && now - drawn.current < REDRAW_MS) return;
    drawn.current = now;
    setVersion((n) => n + 1);
  };
  useHubEvent("monitor.sample", (event) => {
    ring.push(event.data.time, sampleValues(event.data));
    redraw();
  });
  useEffect(() => {
    let gone = false;
    if (ring.times.length === 0) {
      call("monitor.snapshot").then((snap) => {
        if (!gone && snap?.time && ring.times.length === 0) { ring.push(snap.time, sampleValues(snap)); redraw(true); }
      }).catch(() => {});
    }
    const shown = () => redraw(true);
    document.addEventListener("visibilitychange", shown);
    return () => { gone = true; document.removeEventListener("visibilitychange", shown); };
  }, []);
  if (!live) return html`<${HistoryLoader} range=${range} />`;
  return html`<${Charts} table=${ring} version=${version} live=${true} />`;
}

function HistoryLoader({ range }) {
  const [state, setState] = useState({ loading: true, table: null, error: null });
  const [again, setAgain] = useState(0);
  useEffect(() => {
    const seconds = RANGES.find((r) => r.id === range)?.seconds;
    if (!seconds) return undefined;
    let gone = false;
    setState((s) => ({ ...s, loading: true }));
    loadHistory(seconds).then((table) => { if (!gone) setState({ loading: false, table, error: null }); })
      .catch((error) => { if (!gone) setState({ loading: false, table: null, error }); });
    return () => { gone = true; };
  }, [range, again]);
  return html`
    <div class="toolbar">
      <button class="button" type="button" onClick=${() => setAgain((n) => n + 1)} disabled=${state.loading}
              aria-label="Reload the history">${state.loading ? "Loading…" : "Reload"}</button>
    </div>
    ${state.error && html`<p class="inline-error" role="alert">Could not read the history: ${state.error.message}</p>`}
    ${state.loading && !state.table && html`<p class="muted" data-testid="dash-loading">Loading the history…</p>`}
    ${state.table && html`<${Charts} table=${state.table} version=${0} live=${false} />`}`;
}

async function loadHistory(seconds) {
  const { items } = await call("monitor.metrics");
  const metrics = historyMetrics(items);
  const answers = await Promise.all(metrics.map((metric) =>
    call("monitor.history", { metric, window_s: seconds, max_points: HISTORY_POINTS }, { quiet: true })
      .then((r) => [metric, r.points]).catch(() => [metric, []])));
  const end = Date.now() / 1000;
  return alignHistory(Object.fromEntries(answers), end - seconds, end, HISTORY_POINTS);
}

function Charts({ table, version, live }) {
  const rss = processNames(table.cols, "rss");
  const cpu = processNames(table.cols, "cpu_percent");
  const perProcess = (names, figure) => names.map((n) => ({ metric: processMetric(n, figure), label: n }));
  const note = live ? "live" : "";
  return html`
    <div class="dash-grid" data-testid="dash-charts">
      <${DashboardChart} label="Memory (RSS) per process" testid="chart-rss" table=${table} version=${version}
                         series=${perProcess(rss, "rss")} format=${fmtMB} incrs=${MB_STEPS} note=${note} />
      <${DashboardChart} label="CPU per process" testid="chart-cpu" table=${table} version=${version}
                         series=${perProcess(cpu, "cpu_percent")} format=${fmtCpu} note=${note} />
      <${DashboardChart} label="Requests per second" testid="chart-rps" table=${table} version=${version}
                         series=${[{ metric: "core.requests_per_s", label: "requests/s" }]} format=${fmtRate} note=${note} />
      <${DashboardChart} label="Request latency" testid="chart-latency" table=${table} version=${version}
                         series=${[{ metric: "core.latency_p50_us", label: "p50" }, { metric: "core.latency_p99_us", label: "p99" }]}
                         format=${fmtLatency} spanGaps=${true} note=${note} />
      <${DashboardChart} label="Cache hit rate" testid="chart-cache" table=${table} version=${version}
                         series=${[{ metric: "cache.hit_rate", label: "all namespaces" }]} format=${fmtShare} spanGaps=${true} note=${note} />
    </div>`;
}

/** Active alerts first, then the cleared ones, newest first; live from monitor.alert. */
function AlertsPanel() {
  const [book, setBook] = useState(() => createAlertBook());
  const [loaded, setLoaded] = useState(false);
  useHubEvent("monitor.alert", (event) => setBook((b) => applyAlert(b, event.data)));
  useEffect(() => {
    let gone = false;
    call("monitor.alerts").then(({ items }) => {
      if (gone) return;
      setBook((b) => items.reduce(applyAlert, b));
      setLoaded(true);
    }).catch(() => setLoaded(true));
    return () => { gone = true; };
  }, []);
  const rows = [...[...book.active.values()].sort((a, b) => b.since - a.since), ...book.cleared];
  return html`
    <section class="panel" aria-labelledby="dash-alerts-title" data-testid="dash-alerts">
      <div class="panel-head">
        <h3 id="dash-alerts-title">Alerts</h3>
        <span class="muted" data-testid="dash-alerts-count" aria-live="polite">
          ${loaded ? `${book.active.size} active · ${book.cleared.length} cleared` : "loading…"}
        </span>
      </div>
      <${VirtualList} items=${rows} rowHeight=${64} height=${Math.min(rows.length, 5) * 64 + 2 || 96} label="Alerts"
                      testid="dash-alerts-list" getKey=${(a) => `${a.id}:${a.state}:${a.time}`} fit=${true}
                      renderRow=${AlertRow}
                      empty=${html`<p class="muted" data-testid="dash-alerts-empty">${loaded ? "No alerts: every process is within its limits." : "Loading alerts…"}</p>`} />
    </section>`;
}

function AlertRow(alert) {
  const raised = alert.state !== "cleared";
  return html`
    <article class=${`dash-alert ${raised ? "raised" : "cleared"}`} data-testid="dash-alert"
             data-state=${alert.state} data-kind=${alert.kind}
             aria-label=${`${raised ? "Active" : "Cleared"} ${alert.kind} alert on ${alert.process}`}>
      <div class="dash-alert-line">
        <span class=${`pill ${raised ? "pill-failing" : "pill-unknown"}`}>${raised ? "active" : "cleared"}</span>
        <b>${alert.kind}</b>
        <span class="truncate">${alert.process}${alert.pid ? ` (pid ${alert.pid})` : ""} · <code>${alert.metric}</code></span>
        <span class="spacer"></span>
        <span class="dash-alert-figure" data-testid="dash-alert-figure">${describeAlertFigure(alert)}</span>
      </div>
      <div class="dash-alert-line muted">
        <span class="truncate">${alert.message}</span>
        <span class="spacer"></span>
        <span>${raised ? `since ${formatTime(alert.since)}` : `cleared ${formatTime(alert.time)}`}</span>
      </div>
    </article>`;
}

/** cache.stats per namespace and tier; no event carries it, so it is read again with the
 *  samples, at most every 5 s and only while the window is shown. */
function CachePanel() {
  const [stats, setStats] = useState(null);
  const last = useRef(0);
  const refresh = () => {
    last.current = Date.now();
    call("cache.stats", {}, { quiet: true }).then(setStats).catch(() => setStats((s) => s ?? { error: true }));
  };
  useEffect(refresh, []);
  useHubEvent("monitor.sample", () => {
    if (document.visibilityState !== "hidden" && Date.now() - last.current >= CACHE_REFRESH_MS) refresh();
  });
  const rows = cacheRows(stats);
  const bytes = tierBytes(rows);
  return html`
    <section class="panel" aria-labelledby="dash-cache-title" data-testid="dash-cache">
      <div class="panel-head">
        <h3 id="dash-cache-title">Cache</h3>
        <span class="muted">hit rate and size per namespace and tier</span>
      </div>
      ${stats === null && html`<p class="muted">Loading the cache's figures…</p>`}
      ${stats?.error && html`<p class="muted">The cache's figures are not available.</p>`}
      ${stats && !stats.error && html`
        <div class="dash-tiers" role="list" aria-label="Bytes per tier">
          ${CACHE_TIERS.map((t) => html`
            <div class="card dash-tier" role="listitem">
              <span class="card-label">${t} tier</span>
              <span class="card-value">${fmtBytes(bytes[t])}</span>
              ${t === "hot" && html`<span class="card-note">budget ${fmtBytes(stats.hot_budget_bytes)}${stats.pressure ? " · under pressure" : ""}</span>`}
            </div>`)}
        </div>
        ${rows.length === 0
          ? html`<p class="muted">No cache namespace yet.</p>`
          : html`
            <table class="checks dash-cache-table">
              <caption class="visually-hidden">Hit rate and bytes per namespace and tier</caption>
              <thead><tr><th scope="col">namespace</th><th scope="col">all tiers</th>
                ${CACHE_TIERS.map((t) => html`<th scope="col">${t}</th>`)}</tr></thead>
              <tbody>
                ${rows.map((row) => html`
                  <tr data-testid="dash-cache-row">
                    <th scope="row"><code>${row.namespace}</code></th>
                    <td><${HitRate} rate=${row.hit_rate} bytes=${row.bytes} /></td>
                    ${CACHE_TIERS.map((t) => html`<td><${HitRate} rate=${row.tiers[t]?.hit_rate} bytes=${row.tiers[t]?.bytes} /></td>`)}
                  </tr>`)}
              </tbody>
            </table>`}`}
    </section>`;
}

function HitRate({ rate, bytes }) {
  const known = Number.isFinite(rate);
  return html`
    <div class="dash-hit">
      <div class="dash-hit-bar" role="meter" aria-valuemin="0" aria-valuemax="100"
           aria-valuenow=${known ? Math.round(rate * 100) : undefined} aria-label="hit rate"
           aria-valuetext=${known ? fmtShare(rate) : "no lookups yet"}>
        <div style=${`width:${known ? rate * 100 : 0}%`}></div>
      </div>
      <span>${known ? fmtShare(rate) : "—"}</span>
      <span class="muted">${fmtBytes(bytes ?? NaN)}</span>
    </div>`;
}
