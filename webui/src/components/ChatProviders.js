// Model providers (provider.*), in a dialog: the embedded one and any OpenAI-compatible
// server — add, edit, test (its models and latency), remove (asked first), choose the
// default. The API key is write-only: the core only says whether one is set (has_key).
// "Tool calls" offers the persona's plugins to a server that takes OpenAI tool calls; the
// embedded model takes none.
import { html, useEffect, useState } from "../lib/preact.js";
import { call } from "../bridge.js";
import { showToast } from "../lib/toast.js";
import { ChatDialog } from "./ChatDialog.js";

const EMPTY = { id: "", base_url: "", model: "", context_tokens: "8192", api_key: "", remove_key: false, default: false, tools: false };

/** The provider.add / provider.update params of the form, or {error}. */
export function providerParams(form, editing) {
  const id = form.id.trim();
  if (!editing && !/^[\w.-]{1,64}$/.test(id)) return { error: "The id is 1-64 letters, digits, '-', '_' or '.'." };
  const url = form.base_url.trim();
  if (!/^https?:\/\/[^/]+/.test(url)) return { error: "The address is an http(s) URL, such as http://127.0.0.1:8080/v1." };
  const tokens = Number(form.context_tokens);
  if (!Number.isInteger(tokens) || tokens < 256) return { error: "The context is a whole number of tokens, 256 or more." };
  const params = { id, base_url: url, model: form.model.trim(), context_tokens: tokens, tools: Boolean(form.tools) };
  if (form.remove_key) params.api_key = "";
  else if (form.api_key) params.api_key = form.api_key;
  if (form.default) params.default = true;
  return { params };
}

export function ChatProviders({ onClose, onChanged }) {
  const [items, setItems] = useState(null);
  const [form, setForm] = useState(null); // {…EMPTY, editing: bool}
  const [formError, setFormError] = useState("");
  const [tests, setTests] = useState({}); // id → {running} | result
  const [confirming, setConfirming] = useState(null);

  async function load() {
    try {
      setItems((await call("provider.list", {})).items);
    } catch {
      setItems((old) => old ?? []);
    }
  }
  useEffect(() => { load(); }, []);
  const changed = () => { load(); onChanged?.(); };

  async function save(e) {
    e.preventDefault();
    const built = providerParams(form, form.editing);
    if (built.error) { setFormError(built.error); return; }
    setFormError("");
    try {
      await call(form.editing ? "provider.update" : "provider.add", built.params);
      showToast({ kind: "ok", title: "Saved", message: `The provider ${built.params.id} is saved.` });
      setForm(null);
      changed();
    } catch {
      // toasted by the shell
    }
  }
  async function test(id) {
    setTests((t) => ({ ...t, [id]: { running: true } }));
    try {
      const result = await call("provider.test", { id });
      setTests((t) => ({ ...t, [id]: result }));
    } catch (failure) {
      setTests((t) => ({ ...t, [id]: { ok: false, error: failure.message } }));
    }
  }
  async function makeDefault(id) {
    try { await call("provider.update", { id, default: true }); changed(); } catch { /* toasted */ }
  }
  async function remove(id) {
    setConfirming(null);
    try { await call("provider.remove", { id }); changed(); } catch { /* toasted */ }
  }
  const edit = (p) => setForm({ ...EMPTY, ...p, context_tokens: String(p.context_tokens), api_key: "", default: p.default,
    tools: Boolean(p.tools), editing: true, has_key: p.has_key });
  const set = (field) => (e) => {
    const t = e.currentTarget;
    setForm((f) => ({ ...f, [field]: t.type === "checkbox" ? t.checked : t.value }));
  };

  return html`
    <${ChatDialog} id="chat-providers-title" title="Model providers" testid="chat-providers" onClose=${onClose}>
        <p class="muted">Any OpenAI-compatible server answers chats: llama.cpp's server, Ollama, LM Studio, vLLM or a hosted API.
          The embedded model runs offline, but it is small.</p>
        ${items === null && html`<p class="muted">Loading providers…</p>`}
        <ul class="chat-provider-list">
          ${(items ?? []).map((p) => html`
            <li key=${p.id} class="chat-provider" data-testid="chat-provider" data-provider=${p.id}>
              <div class="chat-provider-head">
                <b>${p.id}</b>
                ${p.default && html`<span class="pill pill-ok">default</span>`}
                ${p.embedded && html`<span class="pill">embedded</span>`}
                ${p.has_key && html`<span class="pill" data-testid="chat-provider-key">key set</span>`}
                ${p.tools && html`<span class="pill pill-ok" data-testid="chat-provider-tools" title="Offered the persona's plugins as tools">tools</span>`}
                <span class="spacer"></span>
                <button class="button small" type="button" onClick=${() => test(p.id)} disabled=${tests[p.id]?.running}
                        aria-label=${`Test ${p.id}`}>${tests[p.id]?.running ? "Testing…" : "Test"}</button>
                ${!p.default && html`<button class="button small" type="button" onClick=${() => makeDefault(p.id)}
                                             aria-label=${`Make ${p.id} the default`}>Make default</button>`}
                ${!p.embedded && html`
                  <button class="button small" type="button" onClick=${() => edit(p)} aria-label=${`Edit ${p.id}`}>Edit</button>
                  <button class="button small" type="button" onClick=${() => setConfirming(p.id)} aria-label=${`Remove ${p.id}`}>Remove</button>`}
              </div>
              <div class="muted chat-provider-facts">
                <span>${p.embedded ? (p.base_url ? `running at ${p.base_url}` : "starts on first use") : p.base_url}</span>
                <span>model ${p.model || "the server's default"}</span>
                <span>${p.context_tokens} tokens of context</span>
                ${p.embedded && html`
                  <label class="field-inline chat-provider-notools">
                    <input type="checkbox" disabled checked=${false} aria-describedby="chat-embedded-notools" /> Tool calls
                    <span id="chat-embedded-notools">— the embedded model takes none; add a server that does</span>
                  </label>`}
              </div>
              ${tests[p.id] && !tests[p.id].running && html`
                <p class=${tests[p.id].ok ? "chat-provider-ok" : "inline-error"} role="status" data-testid="chat-provider-test">
                  ${tests[p.id].ok
                    ? `Reached in ${Math.round(tests[p.id].latency_ms)} ms; models: ${tests[p.id].models.join(", ") || "none listed"}`
                    : `Not reachable: ${tests[p.id].error}`}
                </p>`}
              ${confirming === p.id && html`
                <div class="chat-confirm" role="alertdialog" aria-label=${`Remove ${p.id}?`}>
                  <span>Remove ${p.id} and its key? Its conversations go to the default provider.</span>
                  <button class="button danger" type="button" onClick=${() => remove(p.id)}>Remove</button>
                  <button class="button" type="button" onClick=${() => setConfirming(null)}>Cancel</button>
                </div>`}
            </li>`)}
        </ul>
        ${form
          ? html`
            <form class="chat-provider-form" onSubmit=${save} data-testid="chat-provider-form" aria-label=${form.editing ? `Edit ${form.id}` : "Add a provider"}>
              <h4>${form.editing ? `Edit ${form.id}` : "Add a provider"}</h4>
              <label>Id <input class="input" value=${form.id} onInput=${set("id")} disabled=${form.editing} placeholder="llamacpp" /></label>
              <label>Address (base URL) <input class="input" value=${form.base_url} onInput=${set("base_url")} placeholder="http://127.0.0.1:8080/v1" /></label>
              <label>Model <input class="input" value=${form.model} onInput=${set("model")} placeholder="the server's default" /></label>
              <label>Context (tokens) <input class="input" type="number" min="256" value=${form.context_tokens} onInput=${set("context_tokens")} /></label>
              <label>API key
                <input class="input" type="password" autocomplete="off" value=${form.api_key} onInput=${set("api_key")} disabled=${form.remove_key}
                       placeholder=${form.has_key ? "key set — type a new one to replace it" : "none"} />
              </label>
              ${form.has_key && html`<label class="field-inline"><input type="checkbox" checked=${form.remove_key} onChange=${set("remove_key")} /> Remove the key</label>`}
              <label class="field-inline"><input type="checkbox" checked=${form.default} onChange=${set("default")} /> The default provider</label>
              <label class="field-inline chat-provider-tools-field">
                <input type="checkbox" checked=${form.tools} onChange=${set("tools")} data-testid="chat-provider-tools-check" />
                Tool calls: offer the persona's plugins to the model (the server must take OpenAI tool calls; each call asks you first)
              </label>
              ${formError && html`<p class="inline-error" role="alert">${formError}</p>`}
              <span class="chat-edit-buttons">
                <button class="button primary" type="submit">Save</button>
                <button class="button" type="button" onClick=${() => { setForm(null); setFormError(""); }}>Cancel</button>
              </span>
            </form>`
          : html`<button class="button" type="button" data-testid="chat-provider-add" onClick=${() => setForm({ ...EMPTY, editing: false })}>Add a provider</button>`}
    </${ChatDialog}>`;
}
