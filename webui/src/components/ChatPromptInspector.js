// The prompt inspector: what the next reply's prompt would be (chat.prompt, with the
// composer's draft as the next message) — each section's tokens, the total against the
// budget, and the messages exactly as they would be sent, shown as text.
import { html, useEffect, useRef, useState } from "../lib/preact.js";
import { call } from "../bridge.js";

const SECTION_WORDS = {
  system: "the card",
  lorebook: "entries the chat triggered",
  memories: "recalled for the last message",
  examples: "example dialogue",
  history: "the conversation",
  post_history: "instructions after it",
};

export function ChatPromptInspector({ conversation, draft, onClose }) {
  const [prompt, setPrompt] = useState(null);
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(false);
  const closeRef = useRef(null);
  async function load() {
    setLoading(true);
    try {
      setPrompt(await call("chat.prompt", draft.trim() ? { conversation, text: draft } : { conversation }, { quiet: true }));
      setError(null);
    } catch (failure) {
      setError(failure);
    } finally {
      setLoading(false);
    }
  }
  useEffect(() => { load(); closeRef.current?.focus(); }, [conversation]);
  const share = prompt && prompt.budget > 0 ? Math.min(1, prompt.tokens / prompt.budget) : 0;
  return html`
    <aside class="chat-inspector panel" aria-labelledby="chat-inspector-title" data-testid="chat-inspector"
           onKeyDown=${(e) => { if (e.key === "Escape") { e.preventDefault(); onClose(); } }}>
      <div class="chat-inspector-head">
        <h3 id="chat-inspector-title">Prompt inspector</h3>
        <span class="spacer"></span>
        <button class="button small" type="button" onClick=${load} disabled=${loading}>${loading ? "Building…" : "Refresh"}</button>
        <button class="icon-button" type="button" ref=${closeRef} aria-label="Close the prompt inspector" onClick=${onClose}>×</button>
      </div>
      <p class="muted chat-inspector-note">
        ${draft.trim() ? "With your draft as the next message." : "The prompt the next reply would get; your draft is added when you type one."}
      </p>
      ${error && html`<p class="inline-error" role="alert">Could not build the prompt: ${error.message}</p>`}
      ${!prompt && !error && html`<p class="muted">Building the prompt…</p>`}
      ${prompt && html`
        <div class="chat-inspector-total" data-testid="chat-prompt-total">
          <p><b>${prompt.tokens}</b> of ${prompt.budget} tokens${" "}<span class="muted">(${(share * 100).toFixed(0)} % of the budget)</span></p>
          <div class="progress" role="progressbar" aria-label="Prompt tokens of the budget"
               aria-valuemin="0" aria-valuemax=${prompt.budget} aria-valuenow=${prompt.tokens}>
            <div class="progress-bar" style=${`width:${(share * 100).toFixed(1)}%`}></div>
          </div>
        </div>
        <table class="chat-sections" aria-label="Prompt sections">
          <thead><tr><th scope="col">Section</th><th scope="col">Tokens</th></tr></thead>
          <tbody>
            ${prompt.sections.map((s) => html`
              <tr key=${s.name} data-testid="chat-section" data-section=${s.name}>
                <td><code>${s.name}</code> <span class="muted">${SECTION_WORDS[s.name] ?? ""}</span></td>
                <td class="num">${s.tokens}</td>
              </tr>`)}
          </tbody>
        </table>
        <h4>Messages as sent (${prompt.messages.length})</h4>
        <ol class="chat-prompt-messages">
          ${prompt.messages.map((m, i) => html`
            <li key=${i} data-testid="chat-prompt-message">
              <span class=${`pill chat-role-${m.role}`}>${m.role}</span>
              <pre class="chat-prompt-text">${m.content}</pre>
            </li>`)}
        </ol>`}
    </aside>`;
}
