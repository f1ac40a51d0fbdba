// The persona editor (#/personas/<id>, #/personas/new): every Character Card V2 field, the
// avatar, alternate greetings and the lorebook's entries, with a token estimate beside each
// long field; save checks the form first. Export (JSON, PNG) and delete (after saying what
// goes with it) for a persona that exists.
import { html, useEffect, useState } from "../lib/preact.js";
import { call, hasFileDialogs, saveFile } from "../bridge.js";
import { useHubEvent } from "../lib/hooks.js";
import { navigate } from "../lib/router.js";
import { showToast } from "../lib/toast.js";
import {
  POSITIONS, TEXT_FIELDS, bytesToBase64, cardData, cardForm, checkCardForm, estimateTokens,
  newEntry, splitList, usageWords,
} from "../lib/personas.js";
import { thumbnailOf } from "./PersonaImport.js";
import { Avatar } from "./PersonaLibrary.js";

export function PersonaEditor({ id }) {
  const creating = id === "new";
  const [form, setForm] = useState(creating ? cardForm() : null);
  const [persona, setPersona] = useState(null);
  const [avatar, setAvatar] = useState({ src: null, changed: false, thumbnail: null });
  const [problems, setProblems] = useState({});
  const [saving, setSaving] = useState(false);
  const [dirty, setDirty] = useState(false);
  const [confirming, setConfirming] = useState(null);

  const load = async () => {
    const [{ card, avatar: src }, found] = await Promise.all([
      call("persona.card", { id }), call("persona.get", { id })]);
    setForm(cardForm(card.data));
    setPersona(found);
    setAvatar({ src, changed: false, thumbnail: null });
    setDirty(false);
  };
  useEffect(() => {
    if (!creating) load().catch(() => setForm(undefined));
  }, [id]);
  useHubEvent("persona.changed", ({ data }) => {
    if (data?.id !== id || dirty || saving) return;
    if (data.change === "deleted") navigate("personas", {});
    else load().catch(() => undefined);
  });

  if (form === undefined) return html`<div class="page"><p class="inline-error" role="alert">This persona could not be loaded.</p><a href="#/personas">Back to the library</a></div>`;
  if (form === null) return html`<div class="page"><p class="muted" aria-busy="true">Loading the persona…</p></div>`;

  const set = (name, value) => { setForm({ ...form, [name]: value }); setDirty(true); };
  const save = async (event) => {
    event.preventDefault();
    const found = checkCardForm(form);
    setProblems(found);
    if (Object.keys(found).length) {
      showToast({ kind: "error", title: "Check the form", message: Object.values(found)[0] });
      return;
    }
    setSaving(true);
    const images = avatar.changed ? { avatar: avatar.src ?? "", thumbnail: avatar.thumbnail ?? undefined } : {};
    try {
      const data = cardData(form);
      const saved = creating
        ? await call("persona.create", { name: data.name, description: data.description,
          system_prompt: data.system_prompt, tags: data.tags, card: data, ...images })
        : await call("persona.update", { id, card: data, ...images });
      setDirty(false);
      showToast({ kind: "ok", title: "Saved", message: `${saved.name} is saved.` });
      if (creating) navigate("personas", { persona: saved.id });
      else setPersona(saved);
    } catch {
      // toasted by the shell
    } finally {
      setSaving(false);
    }
  };
  const title = creating ? "New persona" : form.name || "Persona";
  return html`
    <form class="page persona-editor" onSubmit=${save} aria-label=${`Edit ${title}`} novalidate>
      <header class="page-head persona-editor-head">
        <a href="#/personas" class="button ghost" aria-label="Back to the library">←</a>
        <h2 class="truncate">${title}</h2>
        <span class="toolbar-spacer"></span>
        ${!creating && persona && html`
          <button type="button" class=${`button ghost favourite${persona.favourite ? " on" : ""}`}
                  aria-pressed=${persona.favourite} data-testid="editor-favourite"
                  aria-label=${persona.favourite ? "Unfavourite" : "Favourite"}
                  onClick=${async () => setPersona(await call("persona.update", { id, favourite: !persona.favourite }))}>
            ${persona.favourite ? "★" : "☆"}</button>
          <a class="button" href=${`#/memory/${encodeURIComponent(id)}`}>Memory</a>
          <button type="button" class="button" onClick=${() => exportCard(id, form.name, "json")}>Export JSON</button>
          <button type="button" class="button" onClick=${() => exportCard(id, form.name, "png")}>Export PNG</button>
          <button type="button" class="button danger" data-testid="persona-delete"
                  onClick=${async () => setConfirming(await call("persona.usage", { id }))}>Delete…</button>`}
        <button type="submit" class="button primary" disabled=${saving} data-testid="persona-save">
          ${saving ? "Saving…" : creating ? "Create" : "Save"}</button>
      </header>
      ${confirming && html`<${ConfirmDelete} name=${form.name} usage=${confirming}
          onCancel=${() => setConfirming(null)} onConfirm=${() => remove(id, form.name)} />`}
      <div class="persona-editor-grid">
        <section class="persona-card-side" aria-label="Avatar and tags">
          <${AvatarField} avatar=${avatar} name=${form.name}
              onChange=${(next) => { setAvatar(next); setDirty(true); }} />
          <${Field} label="Name" error=${problems.name}>
            <input class="input" required maxlength="100" value=${form.name} data-testid="field-name"
                   onInput=${(e) => set("name", e.currentTarget.value)} />
          </${Field}>
          <${Field} label="Tags (comma-separated)" error=${problems.tags}>
            <input class="input" value=${form.tags.join(", ")} data-testid="field-tags"
                   onChange=${(e) => set("tags", splitList(e.currentTarget.value))} />
          </${Field}>
        </section>
        <section class="persona-fields" aria-label="Card fields">
          ${TEXT_FIELDS.map((f) => html`<${TextField} field=${f} value=${form[f.name]}
              onInput=${(v) => set(f.name, v)} />`)}
          <${Greetings} greetings=${form.alternate_greetings} onChange=${(v) => set("alternate_greetings", v)} />
          <${Lorebook} book=${form.character_book} problems=${problems}
                       onChange=${(v) => set("character_book", v)} />
        </section>
      </div>
    </form>`;
}

function Field({ label, error, tokens, children }) {
  return html`
    <label class="persona-field">
      <span class="persona-field-label">${label}
        ${tokens !== undefined && html`<span class="muted token-count" title="An estimate: about 4 characters a token">~${tokens} tokens</span>`}
      </span>
      ${children}
      ${error && html`<span class="inline-error" role="alert">${error}</span>`}
    </label>`;
}

function TextField({ field, value, onInput }) {
  return html`
    <${Field} label=${field.label} tokens=${field.long ? estimateTokens(value) : undefined}>
      ${field.long
        ? html`<textarea class="input" rows="4" value=${value} data-testid=${`field-${field.name}`}
                         onInput=${(e) => onInput(e.currentTarget.value)}></textarea>`
        : html`<input class="input" value=${value} data-testid=${`field-${field.name}`}
                      onInput=${(e) => onInput(e.currentTarget.value)} />`}
    </${Field}>`;
}

function AvatarField({ avatar, name, onChange }) {
  const pick = async (file) => {
    if (!file) return;
    const bytes = new Uint8Array(await file.arrayBuffer());
    const thumbnail = await thumbnailOf(bytes);
    if (!thumbnail) {
      showToast({ kind: "error", title: "Not an image", message: `${file.name} is not a PNG, JPEG, GIF or WebP image.` });
      return;
    }
    onChange({ src: `data:${file.type || "image/png"};base64,${bytesToBase64(bytes)}`, changed: true, thumbnail });
  };
  return html`
    <div class="persona-avatar-field">
      <${Avatar} src=${avatar.src} name=${name} size=${160} />
      <label class="button">Change avatar…
        <input type="file" accept="image/png,image/jpeg,image/gif,image/webp" class="visually-hidden"
               aria-label="Choose an avatar image" onChange=${(e) => pick(e.currentTarget.files[0])} />
      </label>
      ${avatar.src && html`<button type="button" class="button ghost"
          onClick=${() => onChange({ src: null, changed: true, thumbnail: null })}>Remove avatar</button>`}
    </div>`;
}

function Greetings({ greetings, onChange }) {
  const update = (i, text) => onChange(greetings.map((g, j) => (j === i ? text : g)));
  return html`
    <fieldset class="persona-greetings">
      <legend>Alternate greetings</legend>
      ${greetings.length === 0 && html`<p class="muted">None: the first message opens every chat.</p>`}
      ${greetings.map((text, i) => html`
        <div class="persona-greeting">
          <${Field} label=${`Greeting ${i + 1}`} tokens=${estimateTokens(text)}>
            <textarea class="input" rows="3" value=${text} onInput=${(e) => update(i, e.currentTarget.value)}></textarea>
          </${Field}>
          <button type="button" class="button ghost" aria-label=${`Remove greeting ${i + 1}`}
                  onClick=${() => onChange(greetings.filter((_, j) => j !== i))}>Remove</button>
        </div>`)}
      <button type="button" class="button" onClick=${() => onChange([...greetings, ""])}>Add a greeting</button>
    </fieldset>`;
}

function Lorebook({ book, problems, onChange }) {
  const entries = book?.entries ?? [];
  const setEntries = (next) => onChange({ ...(book ?? { name: "", extensions: {} }), entries: next });
  const update = (i, patch) => setEntries(entries.map((e, j) => (j === i ? { ...e, ...patch } : e)));
  const number = (value) => (value === "" ? undefined : Number(value));
  return html`
    <fieldset class="persona-lorebook">
      <legend>Lorebook (${entries.length} ${entries.length === 1 ? "entry" : "entries"})</legend>
      ${entries.length > 0 && html`
        <table class="lore-table" aria-label="Lorebook entries">
          <thead><tr><th>On</th><th>Keys</th><th>Order</th><th>Priority</th><th>Constant</th><th>Position</th><th><span class="visually-hidden">Remove</span></th></tr></thead>
          ${entries.map((entry, i) => html`
            <tbody class="lore-entry" data-testid="lore-entry">
              <tr>
                <td><input type="checkbox" checked=${entry.enabled !== false} aria-label=${`Entry ${i + 1} enabled`}
                           onChange=${(e) => update(i, { enabled: e.currentTarget.checked })} /></td>
                <td><input class="input" value=${(entry.keys ?? []).join(", ")} aria-label=${`Entry ${i + 1} keys`}
                           onChange=${(e) => update(i, { keys: splitList(e.currentTarget.value) })} /></td>
                <td><input class="input num" type="number" step="1" value=${entry.insertion_order ?? ""}
                           aria-label=${`Entry ${i + 1} insertion order`}
                           onInput=${(e) => update(i, { insertion_order: number(e.currentTarget.value) })} /></td>
                <td><input class="input num" type="number" step="1" value=${entry.priority ?? ""}
                           aria-label=${`Entry ${i + 1} priority`}
                           onInput=${(e) => update(i, { priority: number(e.currentTarget.value) })} /></td>
                <td><input type="checkbox" checked=${Boolean(entry.constant)} aria-label=${`Entry ${i + 1} constant`}
                           onChange=${(e) => update(i, { constant: e.currentTarget.checked })} /></td>
                <td><select class="input select" value=${entry.position ?? "before_char"} aria-label=${`Entry ${i + 1} position`}
                            onChange=${(e) => update(i, { position: e.currentTarget.value })}>
                      ${POSITIONS.map((p) => html`<option value=${p}>${p.replace("_", " ")}</option>`)}
                    </select></td>
                <td><button type="button" class="button ghost" aria-label=${`Remove entry ${i + 1}`}
                            onClick=${() => setEntries(entries.filter((_, j) => j !== i))}>✕</button></td>
              </tr>
              <tr class="lore-content">
                <td></td>
                <td colspan="6">
                  <textarea class="input" rows="2" value=${entry.content ?? ""} aria-label=${`Entry ${i + 1} content`}
                            onInput=${(e) => update(i, { content: e.currentTarget.value })}></textarea>
                  <span class="muted token-count">~${estimateTokens(entry.content)} tokens</span>
                  ${problems[`entry-${i}-content`] && html`<span class="inline-error" role="alert">${problems[`entry-${i}-content`]}</span>`}
                  ${problems[`entry-${i}-insertion_order`] && html`<span class="inline-error" role="alert">${problems[`entry-${i}-insertion_order`]}</span>`}
                  ${problems[`entry-${i}-priority`] && html`<span class="inline-error" role="alert">${problems[`entry-${i}-priority`]}</span>`}
                </td>
              </tr>
            </tbody>`)}
        </table>`}
      <button type="button" class="button" onClick=${() => setEntries([...entries, newEntry(100 + entries.length)])}>Add an entry</button>
    </fieldset>`;
}

function ConfirmDelete({ name, usage, onCancel, onConfirm }) {
  return html`
    <div class="persona-confirm" role="alertdialog" aria-modal="false" aria-labelledby="confirm-title"
         aria-describedby="confirm-body" data-testid="persona-confirm">
      <p id="confirm-title"><b>Delete ${name}?</b></p>
      <p id="confirm-body">This also deletes ${usageWords(usage)}. It cannot be undone.</p>
      <div class="toolbar">
        <button type="button" class="button danger" data-testid="persona-confirm-delete" onClick=${onConfirm}>Delete ${name}</button>
        <button type="button" class="button" onClick=${onCancel} ref=${(el) => el?.focus()}>Keep it</button>
      </div>
    </div>`;
}

async function remove(id, name) {
  try {
    await call("persona.delete", { id });
    showToast({ kind: "ok", title: "Deleted", message: `${name} is deleted.` });
    navigate("personas", {});
  } catch {
    // toasted by the shell
  }
}

async function exportCard(id, name, format) {
  const reply = await call("persona.export", { id, format });
  const file = `${name.replace(/[^\w.-]+/g, "_") || "persona"}.${format}`;
  const data = format === "png" ? reply.png
    : bytesToBase64(new TextEncoder().encode(`${JSON.stringify(reply.card, null, 2)}\n`));
  if (hasFileDialogs()) {
    const saved = await saveFile(file, data);
    if (saved) showToast({ kind: "ok", title: "Exported", message: `Saved ${saved.path}.` });
    return;
  }
  const link = document.createElement("a");
  link.href = `data:${format === "png" ? "image/png" : "application/json"};base64,${data}`;
  link.download = file;
  link.click();
}
