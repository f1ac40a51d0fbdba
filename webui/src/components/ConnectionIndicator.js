// "connected" while a call succeeded in the last 10 s, else "disconnected" and why.
import { html, useEffect, useState } from "../lib/preact.js";
import { onSettled } from "../bridge.js";
import { connectionState } from "../lib/connection.js";
import { useNow } from "../lib/hooks.js";

export function ConnectionIndicator() {
  const [last, setLast] = useState({ okAt: null, error: null });
  useEffect(() => onSettled((outcome) => setLast((prev) => (outcome.ok
    ? { okAt: outcome.time, error: null }
    : { okAt: prev.okAt, error: outcome.error }))), []);
  const now = useNow(1000);
  const { state, message } = connectionState(last.okAt, last.error, now);
  return html`
    <div class=${`connection ${state}`} data-testid="connection-state" data-state=${state}
         title=${message || "the core answered in the last 10 s"}>
      <span class="connection-dot" aria-hidden="true"></span>
      <span class="connection-label">${state}</span>${message ? " " : ""}
      ${message && html`<span class="connection-message" data-testid="connection-message">${message}</span>`}
    </div>`;
}
