// A coloured label for a health status: ok, degraded, failing (anything else is neutral).
import { html } from "../lib/preact.js";

const KNOWN = new Set(["ok", "degraded", "failing"]);

export function StatusPill({ status, testid }) {
  const kind = KNOWN.has(status) ? status : "unknown";
  return html`<span class=${`pill pill-${kind}`} data-testid=${testid}>${status ?? "unknown"}</span>`;
}
