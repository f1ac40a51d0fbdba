// Shows every failed call (code and message) until the user dismisses it; repeats of the
// same error are counted, not stacked. Fed by bridge.onSettled, so no error is swallowed.
import { html, useEffect, useState } from "../lib/preact.js";
import { onSettled } from "../bridge.js";

const MAX_SHOWN = 5;

/** Adds `error` to the list of {key, code, message, method, count}, newest first. */
export function addError(list, error) {
  const key = `${error.code}\u0000${error.message}`;
  const old = list.find((item) => item.key === key);
  const item = { key, code: error.code ?? "error", message: error.message,
    method: error.method ?? null, count: old ? old.count + 1 : 1 };
  return [item, ...list.filter((other) => other.key !== key)].slice(0, MAX_SHOWN);
}

export function ErrorBanner() {
  const [errors, setErrors] = useState([]);
  useEffect(() => onSettled((outcome) => {
    if (!outcome.ok) setErrors((list) => addError(list, outcome.error));
  }), []);
  if (errors.length === 0) return null;
  return html`
    <div class="error-banner" role="alert" data-testid="error-banner">
      <ul class="error-list">${errors.map(ErrorItem)}</ul>
      <button class="button ghost" data-testid="error-dismiss" title="Dismiss"
              onClick=${() => setErrors([])}>Dismiss</button>
    </div>`;
}

function ErrorItem(item) {
  return html`
    <li key=${item.key}>
      <code class="error-code" data-testid="error-code">${item.code}</code>${" "}
      <span class="error-message" data-testid="error-message">${item.message}</span>
      ${item.method && html`<span class="muted">${` (${item.method})`}</span>`}
      ${item.count > 1 && html`<span class="error-count">×${item.count}</span>`}
    </li>`;
}
