// system.health: the overall status and one row per check. Loads when shown.
import { html, useEffect } from "../lib/preact.js";
import { useCall } from "../lib/hooks.js";
import { StatusPill } from "./StatusPill.js";

export function HealthPanel() {
  const health = useCall("system.health");
  useEffect(() => { health.run(); }, []);
  const checks = Object.entries(health.data?.checks ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return html`
    <section class="panel" aria-labelledby="health-title">
      <header class="panel-head">
        <h3 id="health-title">Health</h3>
        <${StatusPill} status=${health.data?.status ?? (health.loading ? "checking…" : "unknown")}
                       testid="health-status" />
        <span class="spacer"></span>
        <button class="button" data-testid="health-refresh" disabled=${health.loading}
                onClick=${() => health.run()}>${health.loading ? "Checking…" : "Refresh"}</button>
      </header>
      ${health.error && html`<p class="inline-error">Could not check health: ${health.error.message}</p>`}
      <table class="checks">
        <tbody>${checks.map(([name, check]) => CheckRow(name, check))}</tbody>
      </table>
      ${health.data && checks.length === 0 && html`<p class="muted">The core reported no checks.</p>`}
    </section>`;
}

function CheckRow(name, check) {
  return html`
    <tr key=${name} data-testid=${`health-check-${name}`}>
      <th scope="row">${name}</th>
      <td><${StatusPill} status=${check?.status} /></td>
      <td class="detail">${formatDetail(check?.detail)}</td>
    </tr>`;
}

function formatDetail(detail) {
  if (detail === null || detail === undefined) return "";
  return typeof detail === "string" ? detail : JSON.stringify(detail);
}
