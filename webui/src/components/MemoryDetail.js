// The memory page's detail pane: one memory whole (text, metadata, importance, times), edited
// in place (memory.update), its superseded_by chain to follow, the texts it merged; and the
// form that adds one (memory.add). Inputs are checked before they are sent.
import { html, useEffect, useState } from "../lib/preact.js";
import { call } from "../bridge.js";
import { useHubEvent } from "../lib/hooks.js";
import { formatTime } from "../lib/format.js";
import { showToast } from "../lib/toast.js";
import { formatMetadata, parseImportance, parseMetadata } from "../lib/memoryView.js";

function Fields({ text, setText, metadata, setMetadata, importance, setImportance, prefix }) {
  return html`
    <label class="memory-field">Text
      <textarea class="input" rows="5" aria-label="Memory text" data-testid=${`${prefix}-text`}
                value=${text} onInput=${(e) => setText(e.currentTarget.value)}></textarea>
    </label>
    <label class="memory-field">Metadata (a JSON object)
      <textarea class="input mono" rows="4" aria-label="Metadata" data-testid=${`${prefix}-metadata`}
                value=${metadata} onInput=${(e) => setMetadata(e.currentTarget.value)}></textarea>
    </label>
    <label class="memory-field">Importance (0 to 1)
      <input class="input" type="number" min="0" max="1" step="0.05" aria-label="Importance"
             data-testid=${`${prefix}-importance`} value=${importance}
             onInput=${(e) => setImportance(e.currentTarget.value)} />
    </label>`;
}

/** Importance as stored (a float32: 0.8999999761…) shown as typed (0.9). */
function importanceText(memory) {
  return String(Number(Number(memory.importance ?? 0.5).toFixed(4)));
}

/** {value: {text, metadata, importance}} or {error}. */
function check(text, metadata, importance) {
  if (!text.trim()) return { error: "The text is empty" };
  const meta = parseMetadata(metadata);
  if (meta.error) return { error: meta.error };
  const imp = parseImportance(importance);
  if (imp.error) return { error: imp.error };
  return { value: { text, metadata: meta.value, importance: imp.value } };
}

export function MemoryAdd({ persona, onAdded, onCancel }) {
  const [text, setText] = useState("");
  const [metadata, setMetadata] = useState("{}");
  const [importance, setImportance] = useState("0.5");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    const checked = check(text, metadata, importance);
    if (checked.error) { setError(checked.error); return; }
    setError("");
    setBusy(true);
    try {
      const { id } = await call("memory.add", { persona, ...checked.value });
      showToast({ kind: "ok", title: "Memory added", message: "It is on disk and searchable." });
      onAdded(id);
    } catch {
      // toasted by the bridge
    } finally {
      setBusy(false);
    }
  }
  return html`
    <form class="memory-detail" novalidate aria-label="Add a memory" data-testid="memory-add-form" onSubmit=${submit}>
      <h3>Add a memory</h3>
      <${Fields} prefix="memory-new" text=${text} setText=${setText} metadata=${metadata} setMetadata=${setMetadata}
                 importance=${importance} setImportance=${setImportance} />
      ${error && html`<p class="inline-error" role="alert">${error}</p>`}
      <div class="memory-buttons">
        <button class="button primary" type="submit" disabled=${busy} data-testid="memory-new-save">${busy ? "Adding… (the model loads on first use)" : "Add"}</button>
        <button class="button" type="button" onClick=${onCancel}>Cancel</button>
      </div>
    </form>`;
}

export function MemoryDetail({ persona, id, onDelete, trail = [], onFollow, onBack }) {
  const [memory, setMemory] = useState(null);
  const [missing, setMissing] = useState(null);
  const [text, setText] = useState("");
  const [metadata, setMetadata] = useState("{}");
  const [importance, setImportance] = useState("0.5");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [merged, setMerged] = useState([]);

  function show(m) {
    setMemory(m);
    setText(m.text);
    setMetadata(formatMetadata(m.metadata));
    setImportance(importanceText(m));
  }
  function load() {
    return call("memory.get", { persona, id }, { quiet: true })
      .then((m) => { setMissing(null); show(m); })
      .catch((failure) => setMissing(failure));
  }
  useEffect(() => { load(); }, [persona, id]);
  // Another client changed it: show the new version unless the user is editing.
  useHubEvent("memory.changed", ({ data }) => {
    if (data?.persona !== persona || !memory) return;
    const dirty = text !== memory.text || metadata !== formatMetadata(memory.metadata)
      || importance !== importanceText(memory);
    if (!dirty) load();
  });
  const mergedIds = Array.isArray(memory?.metadata?.merged) ? memory.metadata.merged : [];
  useEffect(() => {
    if (!mergedIds.length) { setMerged([]); return; }
    Promise.all(mergedIds.map((m) => call("memory.get", { persona, id: m }, { quiet: true })
      .then((found) => ({ id: m, text: found.text }))
      .catch(() => ({ id: m, text: null }))))
      .then(setMerged);
  }, [persona, memory?.id, mergedIds.join(",")]);

  if (missing) {
    return html`<div class="empty" role="alert"><p><b>This memory is gone.</b></p>
      <p class="muted">${missing.message}</p></div>`;
  }
  if (!memory) return html`<p class="muted" aria-busy="true">Loading the memory…</p>`;

  async function save(e) {
    e.preventDefault();
    const checked = check(text, metadata, importance);
    if (checked.error) { setError(checked.error); return; }
    setError("");
    const change = { persona, id };
    if (checked.value.text !== memory.text) change.text = checked.value.text;
    if (JSON.stringify(checked.value.metadata) !== JSON.stringify(memory.metadata ?? {})) change.metadata = checked.value.metadata;
    if (Math.abs(checked.value.importance - (memory.importance ?? 0.5)) > 1e-6) change.importance = checked.value.importance;
    if (Object.keys(change).length === 2) { showToast({ kind: "info", title: "Nothing to save", message: "Nothing was changed." }); return; }
    setBusy(true);
    try {
      show(await call("memory.update", change));
      showToast({ kind: "ok", title: "Saved", message: "The memory was updated." });
    } catch {
      // toasted by the bridge
    } finally {
      setBusy(false);
    }
  }
  const by = memory.metadata?.superseded_by;
  return html`
    <form class="memory-detail" novalidate aria-label="Memory" data-testid="memory-detail" data-memory=${memory.id} onSubmit=${save}>
      <h3 class="truncate">Memory <code class="muted">${memory.id}</code></h3>
      ${trail.length > 0 && html`
        <button class="button ghost" type="button" data-testid="memory-back" onClick=${onBack}>
          ← Back to the memory before</button>`}
      <dl class="memory-times">
        <dt>created</dt><dd data-testid="memory-created">${formatTime(memory.created_at)}</dd>
        <dt>updated</dt><dd>${formatTime(memory.updated_at)}</dd>
        <dt>accessed</dt><dd>${formatTime(memory.accessed_at)}</dd>
      </dl>
      ${by && html`
        <p class="memory-superseded" data-testid="memory-superseded">
          Superseded ${memory.metadata.superseded_at ? `at ${formatTime(memory.metadata.superseded_at)} ` : ""}by
          <button class="button ghost" type="button" aria-label=${`Follow to the memory that superseded it, ${by}`}
                  onClick=${() => onFollow(memory.id, by)}><code>${by}</code> →</button>
        </p>`}
      <${Fields} prefix="memory-edit" text=${text} setText=${setText} metadata=${metadata} setMetadata=${setMetadata}
                 importance=${importance} setImportance=${setImportance} />
      ${merged.length > 0 && html`
        <div class="memory-merged" data-testid="memory-merged">
          <h4>Merged from ${merged.length} ${merged.length === 1 ? "memory" : "memories"}</h4>
          <ul>${merged.map((m) => html`<li key=${m.id}>
            <button class="button ghost" type="button" aria-label=${`Open merged memory ${m.id}`} onClick=${() => onFollow(memory.id, m.id)}>
              ${m.text === null ? html`<span class="muted">${m.id} (gone)</span>` : m.text}</button></li>`)}</ul>
        </div>`}
      ${error && html`<p class="inline-error" role="alert">${error}</p>`}
      <div class="memory-buttons">
        <button class="button primary" type="submit" disabled=${busy} data-testid="memory-save">${busy ? "Saving…" : "Save"}</button>
        <button class="button" type="button" data-testid="memory-delete" onClick=${() => onDelete(memory.id)}>Delete</button>
      </div>
    </form>`;
}
