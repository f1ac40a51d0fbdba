// The toasts of lib/toast.js, bottom right: announced (aria-live), dismissible by button or Esc.
import { html, useEffect, useState } from "../lib/preact.js";
import { dismissToast, subscribeToasts } from "../lib/toast.js";

export function Toasts() {
  const [toasts, setToasts] = useState([]);
  useEffect(() => subscribeToasts(setToasts), []);
  return html`
    <section class="toasts" aria-label="Notifications" aria-live="polite" data-testid="toasts">
      ${toasts.map((toast) => html`<${Toast} key=${toast.id} toast=${toast} />`)}
    </section>`;
}

function Toast({ toast }) {
  const { id, kind, title, message, advice, count } = toast;
  const onKeyDown = (e) => { if (e.key === "Escape") dismissToast(id); };
  return html`
    <div class=${`toast toast-${kind}`} role=${kind === "error" ? "alert" : "status"}
         data-testid="toast" data-kind=${kind} onKeyDown=${onKeyDown}>
      <div class="toast-body">
        <div class="toast-title">
          <span data-testid="toast-title">${title}</span>
          ${count > 1 && html`<span class="toast-count" title=${`${count} times`}>×${count}</span>`}
        </div>
        ${message && html`<div class="toast-message" data-testid="toast-message">${message}</div>`}
        ${advice?.text && html`
          <div class="toast-advice" data-testid="toast-advice">
            ${advice.text}${" "}
            ${advice.href && html`<a href=${advice.href} onClick=${() => dismissToast(id)}>Go there</a>`}
          </div>`}
      </div>
      <button class="icon-button" type="button" aria-label="Dismiss notification"
              data-testid="toast-dismiss" onClick=${() => dismissToast(id)}>×</button>
    </div>`;
}
