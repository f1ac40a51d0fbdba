// The plugins page's task manager: the live hosts (persona, plugin, state, pid, RSS, CPU,
// calls, uptime, stop) and the kill history with each reason. The page owns the data (from
// plugin.* events and monitor.sample); these only render it.
import { html } from "../lib/preact.js";
import { useNow } from "../lib/hooks.js";
import { formatMB, formatPercent, formatTime, formatUptime, MISSING } from "../lib/format.js";
import { hostRows, killReason } from "../lib/plugins.js";
import { VirtualList } from "./VirtualList.js";

const LIVE = new Set(["idle", "busy", "starting"]);
const HOST_ROW = 40;
const KILL_ROW = 56;

export function HostsTable({ hosts, personaName, onStop }) {
  const now = useNow(1000); // uptimes tick on screen; no call is made
  const rows = hostRows(hosts);
  return html`
    <section class="plugin-section" aria-labelledby="plugin-hosts-title">
      <h3 id="plugin-hosts-title">Running hosts <span class="muted">${rows.filter((h) => LIVE.has(h.state)).length} live</span></h3>
      <div class="hosts-head" aria-hidden="true">
        <span>Persona</span><span>Plugin</span><span>State</span><span class="num">PID</span>
        <span class="num">RSS</span><span class="num">CPU</span><span class="num">Calls</span>
        <span class="num">Uptime</span><span></span>
      </div>
      <${VirtualList} items=${rows} rowHeight=${HOST_ROW} height="240px" fit=${true} label="Plugin hosts"
                      testid="plugin-hosts" getKey=${(h) => `${h.persona}/${h.name}`}
                      renderRow=${(host) => HostRow(host, personaName, onStop, now)}
                      empty=${html`<p class="muted" data-testid="plugin-hosts-empty">No plugin host has run since the page opened. A host starts on a plugin's first call.</p>`} />
    </section>`;
}

function HostRow(host, personaName, onStop, now) {
  const live = LIVE.has(host.state);
  const who = personaName(host.persona);
  const uptime = live && host.started_at ? formatUptime(now / 1000 - host.started_at) : MISSING;
  return html`
    <div class="host-row" data-testid="plugin-host" data-plugin=${host.name} data-state=${host.state}
         aria-label=${`${host.name} for ${who}, ${host.state}`}>
      <span class="truncate" title=${who}>${who}</span>
      <span class="truncate"><code>${host.name}</code></span>
      <span><span class=${`pill host-${host.state}`} data-testid="plugin-host-state">${host.state}</span></span>
      <span class="num">${host.pid || MISSING}</span>
      <span class="num">${live ? formatMB(host.rss) : MISSING}</span>
      <span class="num">${live ? formatPercent(host.cpu_percent) : MISSING}</span>
      <span class="num">${host.calls ?? 0}</span>
      <span class="num">${uptime}</span>
      <span>${live && html`
        <button class="button small" type="button" aria-label=${`Stop ${host.name} for ${who}`}
                data-testid="plugin-host-stop" onClick=${() => onStop(host)}>Stop</button>`}</span>
    </div>`;
}

export function KillHistory({ kills, personaName }) {
  return html`
    <section class="plugin-section" aria-labelledby="plugin-kills-title">
      <h3 id="plugin-kills-title">Kill history <span class="muted">last ${kills.length}</span></h3>
      <${VirtualList} items=${kills} rowHeight=${KILL_ROW} height="240px" fit=${true} label="Kill history"
                      testid="plugin-kills" getKey=${(k, i) => `${k.time}/${k.pid}/${i}`}
                      renderRow=${(kill) => KillRow(kill, personaName)}
                      empty=${html`<p class="muted" data-testid="plugin-kills-empty">No host was killed since the core started.</p>`} />
    </section>`;
}

function KillRow(kill, personaName) {
  return html`
    <div class="kill-row" data-testid="plugin-kill" data-plugin=${kill.name} data-reason=${kill.reason}>
      <div class="kill-main">
        <span class="pill pill-failing">${kill.reason}</span>
        <b><code>${kill.name}</code></b>
        <span class="muted">for ${personaName(kill.persona)} · pid ${kill.pid} · ${formatTime(kill.time)}</span>
      </div>
      <div class="truncate" data-testid="plugin-kill-reason" title=${kill.message ?? ""}>${killReason(kill)}</div>
    </div>`;
}
