// Whether the window talks to the core: a heartbeat (system.ping every few seconds, quiet),
// the outcome of every call, and the shell's own shell.connection events, which say when the
// core went away and the window is reconnecting (a new core, a new connection file).
import { html, useEffect, useState } from "../lib/preact.js";
import { call, onSettled } from "../bridge.js";
import { connectionState } from "../lib/connection.js";
import { useHubEvent, useInterval, useNow } from "../lib/hooks.js";
import { showToast } from "../lib/toast.js";

const HEARTBEAT_MS = 4000;
const LABELS = { connected: "connected", disconnected: "disconnected", reconnecting: "reconnecting…" };

export function ConnectionIndicator() {
  const [last, setLast] = useState({ okAt: null, error: null });
  const [shell, setShell] = useState(null);
  useEffect(() => onSettled((outcome) => setLast((prev) => (outcome.ok
    ? { okAt: outcome.time, error: null }
    : { okAt: prev.okAt, error: outcome.error }))), []);
  useInterval(() => call("system.ping", {}, { quiet: true }).catch(() => undefined), HEARTBEAT_MS, true);
  useHubEvent("shell.connection", ({ data }) => {
    const before = shell;
    setShell({ state: data.state, message: data.message, at: Date.now() });
    // The first "connected" is the window's first core, not a reconnection.
    if (data.state === "connected" && before && before.state !== "connected") {
      showToast({ kind: "ok", title: "Reconnected", message: `The window talks to a new core (pid ${data.message}).` });
    }
  });
  const now = useNow(1000);
  const { state, message } = connectionState(last.okAt, last.error, now, undefined, shell);
  return html`
    <div class=${`connection ${state}`} role="status" data-testid="connection-state"
         data-state=${state} title=${message || "the core answered in the last 10 s"}>
      <span class="connection-dot" aria-hidden="true"></span>
      <span class="connection-label">${LABELS[state] ?? state}</span>
      ${message && html`<span class="connection-message" data-testid="connection-message">${message}</span>`}
    </div>`;
}
