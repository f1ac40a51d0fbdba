// Status: what the core is (system.info, polled), how it is doing (monitor.sample events),
// its health checks and the methods it offers.
import { html, useEffect, useMemo, useState } from "../lib/preact.js";
import { useCall, useHubEvent, useInterval, useNow } from "../lib/hooks.js";
import { formatMB, formatPercent, formatUptime, MISSING } from "../lib/format.js";
import { pushBounded } from "../lib/sparkline.js";
import { Sparkline } from "../components/Sparkline.js";
import { HealthPanel } from "../components/HealthPanel.js";
import { MethodsPanel } from "../components/MethodsPanel.js";

const INFO_EVERY_MS = 5000;
const RSS_SAMPLES = 60;
// A performance mark the first time the version and the core's RSS are on screen (effects run
// after the paint): startup.window_status reads the window's start-up from it.
export const READY_MARK = "status-ready";

export function StatusPage() {
  const info = useCall("system.info");
  // Skip a beat while a call is in flight, so a stalled core doesn't pile up calls.
  useInterval(() => info.loading || info.run(), INFO_EVERY_MS, true);
  const monitor = useCoreSamples();
  return html`
    <div class="page">
      <header class="page-head">
        <h2>Status</h2>
        <p class="muted">The core process, live.</p>
      </header>
      <${InfoCards} info=${info.data} monitor=${monitor} />
      <${Details} info=${info.data} />
      <${Tabs} />
    </div>`;
}

/** {core, rss: [bytes…], seen} from monitor.sample events (the last RSS_SAMPLES of them). */
function useCoreSamples() {
  const [state, setState] = useState({ core: null, rss: [], seen: 0 });
  useHubEvent("monitor.sample", ({ data }) => {
    const core = data && data.core;
    if (!core || typeof core !== "object") return;
    setState((s) => Number.isFinite(core.rss)
      ? { core, rss: pushBounded(s.rss, core.rss, RSS_SAMPLES), seen: s.seen + 1 }
      : { ...s, core });
  });
  return state;
}

/** Seconds of uptime now, counted locally from the last system.info reply. */
function useUptime(info) {
  const base = useMemo(() => ({ uptime: info?.uptime_s, at: Date.now() }), [info]);
  const now = useNow(1000);
  return Number.isFinite(base.uptime) ? base.uptime + Math.max(0, now - base.at) / 1000 : NaN;
}

function InfoCards({ info, monitor }) {
  const uptime = useUptime(info);
  const rss = monitor.core?.rss ?? info?.rss;
  const shown = Boolean(info?.version) && Number.isFinite(rss);
  useEffect(() => {
    if (shown && performance.getEntriesByName(READY_MARK).length === 0) performance.mark(READY_MARK);
  }, [shown]);
  return html`
    <div class="cards">
      <${Card} label="Version" testid="status-version" value=${info?.version ?? MISSING}
               note=${info ? `protocol ${info.protocol}` : "waiting for the core"} />
      <${Card} label="Uptime" testid="status-uptime" value=${formatUptime(uptime)}
               note=${info ? `pid ${info.pid}` : ""} />
      <${Card} label="Core memory (RSS)" testid="status-rss" value=${formatMB(rss)}
               note=${monitor.core ? "live" : info?.rss !== undefined ? "from system.info" : ""}>
        <${Sparkline} values=${monitor.rss} seen=${monitor.seen} testid="rss-sparkline"
                      label="Core RSS, last 60 samples" width=${220} height=${40} />
      <//>
      <${Card} label="Core CPU" testid="status-cpu" value=${formatPercent(monitor.core?.cpu_percent)}
               note=${Number.isFinite(monitor.core?.threads) ? `${monitor.core.threads} threads` : ""} />
    </div>`;
}

function Card({ label, value, note, testid, children }) {
  return html`
    <div class="card">
      <div class="card-label">${label}</div>
      <div class="card-value" data-testid=${testid}>${value}</div>
      ${children}
      <div class="card-note">${note}</div>
    </div>`;
}

function Details({ info }) {
  const containment = Object.entries(info?.containment ?? {});
  return html`
    <section class="panel details">
      <dl class="facts">
        <${Fact} label="Protocol" testid="status-protocol" value=${info?.protocol} />
        <${Fact} label="PID" testid="status-pid" value=${info?.pid} />
        <${Fact} label="Platform" testid="status-platform" value=${info?.platform} />
        <${Fact} label="Home" testid="status-home" value=${info?.home} mono />
      </dl>
      <div class="containment">
        <span class="card-label">Containment</span>
        <ul class="badges" data-testid="containment">
          ${containment.map(([feature, on]) => Badge(feature, on))}
          ${containment.length === 0 && html`<li class="muted">${info ? "none reported" : MISSING}</li>`}
        </ul>
      </div>
    </section>`;
}

function Fact({ label, value, testid, mono }) {
  return html`
    <dt>${label}</dt>
    <dd class=${mono ? "mono" : ""} data-testid=${testid} title=${value ?? ""}>${value ?? MISSING}</dd>`;
}

function Badge(feature, on) {
  return html`
    <li key=${feature} class=${`badge ${on ? "badge-on" : "badge-off"}`}
        data-testid=${`containment-${feature}`} data-active=${String(Boolean(on))}
        title=${on ? "active on this system" : "not available on this system"}>
      <span aria-hidden="true">${on ? "✓" : "✕"}</span> ${feature}
    </li>`;
}

const TABS = [
  { id: "health", label: "Health", Panel: HealthPanel },
  { id: "methods", label: "Methods", Panel: MethodsPanel },
];

function Tabs() {
  const [active, setActive] = useState("health");
  const { Panel } = TABS.find((tab) => tab.id === active);
  return html`
    <div class="tabs" role="tablist">
      ${TABS.map((tab) => html`
        <button key=${tab.id} role="tab" class="tab" aria-selected=${String(tab.id === active)}
                data-testid=${`${tab.id}-tab`} onClick=${() => setActive(tab.id)}>${tab.label}</button>`)}
    </div>
    <${Panel} key=${active} />`;
}
