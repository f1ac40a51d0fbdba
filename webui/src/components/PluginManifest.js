// The plugins page's manifest in words (permissions, quotas, functions) and the modal that
// asks before installing or enabling a plugin. Manifest text is the plugin author's: shown
// as plain text children only.
import { html, useEffect, useRef } from "../lib/preact.js";
import { asksForPermissions, describePermissions, describeQuotas } from "../lib/plugins.js";

/** Permissions and quotas of a plugin map, in words. */
export function ManifestWords({ plugin, testid = "plugin-manifest" }) {
  const warn = asksForPermissions(plugin.permissions); // the bullets turn amber
  return html`
    <div class="plugin-words" data-testid=${testid}>
      <section aria-label="Permissions">
        <h4>Permissions</h4>
        <ul class=${`plugin-perms${warn ? " asks" : ""}`} data-testid="plugin-permissions">
          ${describePermissions(plugin.permissions).map((text) => html`<li>${text}</li>`)}
        </ul>
      </section>
      <section aria-label="Quotas">
        <h4>Limits</h4>
        <ul class="plugin-quotas" data-testid="plugin-quotas">
          ${describeQuotas(plugin.quotas).map((text) => html`<li>${text}</li>`)}
        </ul>
      </section>
    </div>`;
}

/** The functions a plugin declares: name, description, pure. */
export function FunctionList({ functions = {} }) {
  const names = Object.keys(functions).sort();
  return html`
    <ul class="plugin-functions" aria-label="Functions" data-testid="plugin-functions">
      ${names.map((name) => html`
        <li key=${name}>
          <code>${name}</code>${functions[name]?.pure ? html` <span class="pill pill-unknown" title="Same args, same result: the hub may answer from its cache">pure</span>` : ""}
          <span class="muted"> — ${String(functions[name]?.description ?? "")}</span>
        </li>`)}
    </ul>`;
}

/**
 * A modal asking to confirm: `title`, the plugin's manifest in words, `note` (why or what
 * else), and `confirmLabel`; Esc or Cancel closes it. `blocked`: a reason the confirm button
 * stays disabled (e.g. already installed).
 */
export function ConfirmPlugin({ title, plugin, note, confirmLabel, blocked, busy, onConfirm, onCancel }) {
  const confirmRef = useRef(null);
  const cancelRef = useRef(null);
  useEffect(() => { (blocked ? cancelRef : confirmRef).current?.focus(); }, []);
  const onKeyDown = (e) => {
    if (e.key === "Escape") { e.preventDefault(); onCancel(); }
    if (e.key === "Tab") {  // keep the focus inside the dialog
      const buttons = [cancelRef.current, confirmRef.current].filter((b) => b && !b.disabled);
      const index = buttons.indexOf(document.activeElement);
      if (buttons.length && (index === -1 || (e.shiftKey ? index === 0 : index === buttons.length - 1))) {
        e.preventDefault();
        buttons[e.shiftKey ? buttons.length - 1 : 0].focus();
      }
    }
  };
  return html`
    <div class="overlay" onClick=${(e) => e.target === e.currentTarget && onCancel()}>
      <div class="plugin-confirm" role="dialog" aria-modal="true" aria-labelledby="plugin-confirm-title"
           data-testid="plugin-confirm" onKeyDown=${onKeyDown}>
        <h3 id="plugin-confirm-title">${title}</h3>
        <p class="plugin-confirm-what">
          <b>${plugin.name}</b> <span class="muted">${plugin.version}</span><br />
          <span>${String(plugin.description ?? "")}</span>
        </p>
        <${ManifestWords} plugin=${plugin} />
        <h4>Functions</h4>
        <${FunctionList} functions=${plugin.functions} />
        ${note && html`<p class="muted plugin-confirm-note">${note}</p>`}
        ${blocked && html`<p class="inline-error" role="alert">${blocked}</p>`}
        <div class="plugin-confirm-actions">
          <button ref=${cancelRef} class="button" type="button" onClick=${onCancel}>Cancel</button>
          <button ref=${confirmRef} class="button primary" type="button" data-testid="plugin-confirm-ok"
                  disabled=${Boolean(blocked) || busy} onClick=${onConfirm}>
            ${busy ? "Working…" : confirmLabel}
          </button>
        </div>
      </div>
    </div>`;
}
