// Plugin calls in a conversation: the consent card of a model's tool call that waits for the
// user (chat.tool_decide), the tool records a reply shows (collapsible), a slash command's
// result block, and the "Allowed plugins" dialog (chat.tool_grants / chat.tool_revoke).
// Arguments, outputs and errors are untrusted: rendered as text nodes only.
import { html, useEffect, useRef, useState } from "../lib/preact.js";
import { call } from "../bridge.js";
import { formatTime } from "../lib/format.js";
import { ChatDialog } from "./ChatDialog.js";
import {
  commandTitle, decisionWords, hasArguments, outputRows, prettyJson, recordTone,
} from "../lib/chatTools.js";

/**
 * The tool call waiting for the user, docked above the composer so that it stays in view
 * whatever the log's scroll: plugin, function, arguments, and three answers.
 * props: request (a chat.tool_request), name (the persona's), busy, onDecide(decision).
 */
export function ConsentCard({ request, name, busy, onDecide }) {
  const first = useRef(null);
  // Into view for the keyboard, unless the person is busy elsewhere (typing, say).
  useEffect(() => {
    const away = document.activeElement && document.activeElement !== document.body;
    if (!away) first.current?.focus();
  }, [request.call]);
  return html`
    <section class="chat-consent" role="group" aria-label="Tool call waiting for your decision"
             data-testid="chat-consent" data-call=${request.call}
             onKeyDown=${(e) => { if (e.key === "Escape" && !busy) { e.preventDefault(); onDecide("decline"); } }}>
      <div class="chat-consent-head">
        <span class="chat-consent-icon" aria-hidden="true">⚙</span>
        <div class="chat-consent-text">
          <b>${name || "The model"} wants to call <span class="visually-hidden">the plugin </span><code
             data-testid="chat-consent-plugin">${request.plugin}</code> · <span class="visually-hidden">its function </span><code
             data-testid="chat-consent-function">${request.function}</code></b>
          <span class="muted">It runs in the plugin's sandbox, with the plugin's permissions.</span>
        </div>
      </div>
      <${JsonBlock} label="Arguments" value=${request.arguments} testid="chat-consent-arguments" />
      <div class="chat-consent-buttons">
        <button class="button primary" type="button" ref=${first} disabled=${busy} data-testid="chat-consent-once"
                onClick=${() => onDecide("once")}>Allow once</button>
        <button class="button" type="button" disabled=${busy} data-testid="chat-consent-always"
                title=${`Every later call of ${request.plugin} by this persona's models runs without asking`}
                onClick=${() => onDecide("always")}>Always allow for this persona</button>
        <button class="button danger" type="button" disabled=${busy} data-testid="chat-consent-decline"
                onClick=${() => onDecide("decline")}>Decline</button>
      </div>
    </section>`;
}

/** A value as pretty-printed JSON, as text (never HTML), with its label. */
function JsonBlock({ label, value, testid }) {
  return html`
    <div class="chat-tool-json">
      <span class="chat-tool-label">${label}</span>
      <pre class="chat-json" data-testid=${testid}>${prettyJson(value)}</pre>
    </div>`;
}

/** A plugin's output: a small table for a flat object, else pretty JSON or its text. */
function Output({ output, testid }) {
  const rows = outputRows(output);
  if (rows) {
    return html`
      <dl class="chat-tool-output" data-testid=${testid}>
        ${rows.map(([k, v]) => html`<div key=${k}><dt>${k}</dt><dd>${v}</dd></div>`)}
      </dl>`;
  }
  return html`<pre class="chat-json" data-testid=${testid}>${prettyJson(output)}</pre>`;
}

function Failure({ record }) {
  return html`
    <div class="chat-tool-error" role="note" data-testid="chat-tool-error">
      <span>${record.error}</span>
      ${record.hint && html`<span class="muted">What helps: <code>${record.hint}</code></span>`}
    </div>`;
}

/** The tool calls of a reply, each collapsible: function, arguments, decision, outcome. */
export function ToolRecords({ tools }) {
  if (!tools?.length) return null;
  return html`
    <div class="chat-tools" data-testid="chat-tools">
      ${tools.map((record, i) => html`<${ToolRecord} key=${record.call || i} record=${record} />`)}
    </div>`;
}

function ToolRecord({ record }) {
  const tone = recordTone(record);
  const ran = record.output !== null && record.output !== undefined;
  return html`
    <details class=${`chat-tool chat-tool-${tone}`} data-testid="chat-tool" data-decision=${record.decision}>
      <summary>
        <span class="chat-tool-name"><span aria-hidden="true">⚙ </span>${record.plugin} · ${record.function}</span>
        <span class=${`pill ${tone === "bad" ? "pill-failing" : tone === "ok" ? "pill-ok" : "pill-unknown"}`}
              data-testid="chat-tool-decision">${decisionWords(record.decision)}</span>
        ${record.error && html`<span class="pill pill-failing">failed</span>`}
      </summary>
      <div class="chat-tool-body">
        ${hasArguments(record.arguments)
          ? html`<${JsonBlock} label="Arguments" value=${record.arguments} testid="chat-tool-arguments" />`
          : html`<p class="muted chat-tool-none">No arguments.</p>`}
        ${ran && html`<div class="chat-tool-json"><span class="chat-tool-label">Output</span>
                        <${Output} output=${record.output} testid="chat-tool-output" /></div>`}
        ${record.error && html`<${Failure} record=${record} />`}
        ${!ran && !record.error && html`<p class="muted chat-tool-none">It did not run.</p>`}
      </div>
    </details>`;
}

/** A slash command's system message, as a result block rather than its raw text. */
export function CommandResult({ record }) {
  const failed = Boolean(record.error);
  return html`
    <div class=${`chat-command${failed ? " failed" : ""}`} data-testid="chat-command">
      <div class="chat-command-head">
        <code class="chat-command-title" data-testid="chat-command-title">${commandTitle(record)}</code>
        <span class=${`pill ${failed ? "pill-failing" : "pill-ok"}`}>${failed ? "failed" : "ran"}</span>
      </div>
      ${hasArguments(record.arguments) && html`<${JsonBlock} label="Arguments" value=${record.arguments} testid="chat-command-arguments" />`}
      ${failed
        ? html`<${Failure} record=${record} />`
        : html`<div class="chat-tool-json"><span class="chat-tool-label">Result</span>
                 <${Output} output=${record.output} testid="chat-command-output" /></div>`}
    </div>`;
}

/** The plugins this persona's models may call without asking; each can be revoked. */
export function ToolGrants({ persona, name, onClose }) {
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  async function load() {
    try {
      setItems((await call("chat.tool_grants", { persona }, { quiet: true })).items);
      setError(null);
    } catch (failure) {
      setError(failure);
      setItems((old) => old ?? []);
    }
  }
  useEffect(() => { load(); }, [persona]);
  async function revoke(plugin) {
    try {
      await call("chat.tool_revoke", { persona, plugin });
    } catch { /* toasted */ }
    await load();
    // The row and its button are gone: keep the keyboard in the dialog.
    if (document.activeElement === document.body) {
      document.querySelector('[data-testid="chat-grants"] button')?.focus();
    }
  }
  return html`
    <${ChatDialog} id="chat-grants-title" title="Allowed plugins" testid="chat-grants" class="chat-grants" onClose=${onClose}>
        <p class="muted">${name || "This persona"}'s models call these plugins without asking, because you answered
          “Always allow”. Revoke one to be asked again.</p>
        ${error && html`<p class="inline-error" role="alert">${error.message}</p>`}
        ${items === null
          ? html`<p class="muted">Loading…</p>`
          : items.length === 0
            ? html`<p class="muted" data-testid="chat-grants-empty">None: every tool call asks first.</p>`
            : html`<ul class="chat-provider-list">
                ${items.map((g) => html`
                  <li key=${g.plugin} class="chat-provider chat-grant" data-testid="chat-grant" data-plugin=${g.plugin}>
                    <div class="chat-provider-head">
                      <b>${g.plugin}</b>
                      <span class="muted">since ${formatTime(g.granted_at)}</span>
                      <span class="spacer"></span>
                      <button class="button small danger" type="button" aria-label=${`Revoke ${g.plugin}`}
                              onClick=${() => revoke(g.plugin)}>Revoke</button>
                    </div>
                  </li>`)}
              </ul>`}
    </${ChatDialog}>`;
}
