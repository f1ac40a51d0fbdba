// The memory page's context inspector: a query and a token budget → what memory.context packs
// into a prompt, and each memory's tokens (as Letta's context-window viewer shows its sections).
import { html, useState } from "../lib/preact.js";
import { call } from "../bridge.js";

export function MemoryContext({ persona }) {
  const [query, setQuery] = useState("");
  const [budget, setBudget] = useState("256");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [packed, setPacked] = useState(null);
  async function submit(e) {
    e.preventDefault();
    const maxTokens = Number(budget);
    if (!query.trim()) { setError("Type a query: the memories best for it are packed"); return; }
    if (!Number.isInteger(maxTokens) || maxTokens < 1) { setError("The budget is a whole number of tokens, 1 or more"); return; }
    setError("");
    setBusy(true);
    try {
      setPacked({ ...(await call("memory.context", { persona, query: query.trim(), max_tokens: maxTokens })), budget: maxTokens });
    } catch {
      // toasted by the bridge
    } finally {
      setBusy(false);
    }
  }
  const share = (tokens) => (packed?.budget ? Math.min(100, (100 * tokens) / packed.budget) : 0);
  return html`
    <div class="memory-context">
      <form class="toolbar" novalidate aria-label="Inspect the context" onSubmit=${submit}>
        <input class="input memory-query" type="text" placeholder="What the prompt is about…" aria-label="Context query"
               data-testid="context-query" value=${query} onInput=${(e) => setQuery(e.currentTarget.value)} />
        <label class="field-inline">Budget
          <input class="input memory-budget" type="number" min="1" step="1" aria-label="Token budget"
                 data-testid="context-budget" value=${budget} onInput=${(e) => setBudget(e.currentTarget.value)} /> tokens</label>
        <button class="button primary" type="submit" disabled=${busy} data-testid="context-run">${busy ? "Packing…" : "Pack"}</button>
      </form>
      ${error && html`<p class="inline-error" role="alert">${error}</p>`}
      ${!packed && !error && html`<p class="muted">The memories best for a query, packed into a token budget as a prompt gets them.</p>`}
      ${packed && html`
        <div class="memory-context-result" data-testid="context-result">
          <p><b data-testid="context-tokens">${packed.tokens} of ${packed.budget} tokens</b>
            <span class="muted"> · ${packed.items.length} ${packed.items.length === 1 ? "memory" : "memories"}</span></p>
          <div class="progress" role="progressbar" aria-label="Budget used" aria-valuemin="0" aria-valuemax="100"
               aria-valuenow=${Math.round(share(packed.tokens))}>
            <div class="progress-bar" style=${`width:${share(packed.tokens)}%`}></div>
          </div>
          <table class="memory-context-items" aria-label="Packed memories">
            <thead><tr><th scope="col">memory</th><th scope="col">score</th><th scope="col">tokens</th></tr></thead>
            <tbody>${packed.items.map((m) => html`
              <tr key=${m.id} data-testid="context-item">
                <td class="memory-context-text">${m.text}</td>
                <td>${typeof m.score === "number" ? m.score.toFixed(3) : "—"}</td>
                <td data-testid="context-item-tokens">${m.tokens ?? "—"}</td>
              </tr>`)}</tbody>
          </table>
          <h4>The packed text</h4>
          <pre class="memory-context-text-block" data-testid="context-text">${packed.text || "(nothing fits)"}</pre>
        </div>`}
    </div>`;
}
