// Settings: every setting with its help, value, default and source (settings.list); edits are
// checked here, then by the core, and written to settings.toml (settings.set). A core reads
// its settings when it starts: the page says which edits wait for a restart, and restarts it.
import { html, useEffect, useMemo, useState } from "../lib/preact.js";
import { call } from "../bridge.js";
import { createListStore } from "../lib/store.js";
import { useListStore, useStoreSnapshot } from "../lib/useStore.js";
import { parseSettingInput, settingText } from "../lib/settingsForm.js";
import { showToast } from "../lib/toast.js";

export function SettingsPage() {
  const store = useListStore(() => createListStore({
    call, method: "settings.list", pageSize: 1000, topics: ["settings."],
  }), []);
  const snap = useStoreSnapshot(store);
  useEffect(() => { store.ensure(0, 1000).catch(() => undefined); }, [store]);
  const [query, setQuery] = useState("");
  const all = useMemo(() => store.loaded(), [snap?.version]);
  const shown = useMemo(() => filterSettings(all, query), [all, query]);
  const waiting = all.filter((s) => s.restart_needed);
  return html`
    <div class="page">
      <header class="page-head">
        <h2>Settings</h2>
        <p class="muted">Written to <code>settings.toml</code> in the hub's home. The core reads them when it starts.</p>
      </header>
      <div class="toolbar">
        <input class="input" type="search" placeholder="Filter by name or description"
               aria-label="Filter settings" data-testid="settings-filter" value=${query}
               onInput=${(e) => setQuery(e.currentTarget.value)} />
        <span class="spacer"></span>
        <${RestartBar} waiting=${waiting} />
      </div>
      ${snap?.error && html`<p class="inline-error" role="alert">Could not list settings: ${snap.error.message}</p>`}
      ${snap?.total === null && !snap?.error && html`<p class="muted">Loading settings…</p>`}
      ${snap?.total !== null && shown.length === 0 && html`<p class="muted" data-testid="settings-empty">No setting matches “${query}”.</p>`}
      <ul class="settings-list" aria-label="Settings">
        ${shown.map((setting) => html`<${SettingRow} key=${setting.name} setting=${setting} />`)}
      </ul>
    </div>`;
}

/** The settings whose name or help contains query (case-insensitive). */
export function filterSettings(items, query) {
  const needle = query.trim().toLowerCase();
  if (!needle) return items;
  return items.filter((s) => `${s.name}\n${s.help}`.toLowerCase().includes(needle));
}

function RestartBar({ waiting }) {
  const [busy, setBusy] = useState(false);
  const restart = async () => {
    setBusy(true);
    try {
      await call("system.restart");
      showToast({ kind: "info", title: "Restarting the core", message: "The window reconnects by itself in a moment." });
    } catch {
      // toasted by the shell
    } finally {
      setBusy(false);
    }
  };
  return html`
    <div class="restart-bar">
      <span class=${waiting.length ? "warn-text" : "muted"} data-testid="settings-waiting">
        ${waiting.length ? `${waiting.length} ${waiting.length === 1 ? "change waits" : "changes wait"} for a restart` : "Every setting is in force"}
      </span>
      <button class=${`button${waiting.length ? " primary" : ""}`} type="button" disabled=${busy}
              data-testid="settings-restart" onClick=${restart}>
        ${busy ? "Restarting…" : "Restart the core"}
      </button>
    </div>`;
}

function SettingRow({ setting }) {
  const { name, type, help, minimum } = setting;
  const [draft, setDraft] = useState(type === "bool" ? setting.next_value : settingText(setting.next_value));
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    setDraft(type === "bool" ? setting.next_value : settingText(setting.next_value));
  }, [setting.next_value]);
  const check = parseSettingInput(type, draft, minimum);
  const dirty = check.ok ? check.value !== setting.next_value : true;
  const inputId = `setting-${name}`;
  const save = async (value) => {
    setSaving(true);
    try {
      const result = await call("settings.set", { name, value });
      const then = setting.applies === "window_restart" ? "when the window opens again" : "after a restart of the core";
      showToast({
        kind: "ok", title: `Saved ${name}`,
        message: result.overridden_by
          ? `Written to settings.toml, but ${result.overridden_by} overrides it.`
          : `${value === null ? "Back to its default" : `Set to ${settingText(value)}`}; in force ${then}.`,
      });
    } catch {
      // toasted by the shell
    } finally {
      setSaving(false);
    }
  };
  const onSubmit = (e) => { e.preventDefault(); if (check.ok && dirty) save(check.value); };
  return html`
    <li class="setting" data-testid="setting" data-name=${name}>
      <form class="setting-form" onSubmit=${onSubmit} aria-label=${name}>
        <div class="setting-head">
          <label for=${inputId}><code class="setting-name">${name}</code></label>
          <span class="pill">${type}</span>
          <span class=${`pill source${setting.source === "default" ? "" : " source-set"}`}
                data-testid="setting-source" title="Where the value comes from">${setting.source}</span>
          ${setting.restart_needed && html`<span class="pill warn" data-testid="setting-restart">restart needed</span>`}
          ${setting.applies === "window_restart" && html`<span class="pill">applies to the window</span>`}
        </div>
        <p class="setting-help" id=${`${inputId}-help`}>${help}</p>
        <div class="setting-edit">
          ${type === "bool"
            ? html`<label class="check"><input id=${inputId} type="checkbox" checked=${draft === true}
                     aria-describedby=${`${inputId}-help`} data-testid="setting-input"
                     onChange=${(e) => setDraft(e.currentTarget.checked)} /> ${draft ? "on" : "off"}</label>`
            : html`<input id=${inputId} class="input" type="text" value=${draft}
                     inputmode=${type === "str" ? "text" : "decimal"} spellcheck="false"
                     aria-invalid=${!check.ok} aria-describedby=${`${inputId}-help ${inputId}-error`}
                     data-testid="setting-input" onInput=${(e) => setDraft(e.currentTarget.value)} />`}
          <button class="button primary" type="submit" disabled=${!check.ok || !dirty || saving}
                  data-testid="setting-save" aria-label=${`Save ${name}`}>Save</button>
          ${setting.source === "settings.toml" && html`
            <button class="button ghost" type="button" disabled=${saving} data-testid="setting-reset"
                    aria-label=${`Reset ${name} to its default`} onClick=${() => save(null)}>Use default</button>`}
          <span id=${`${inputId}-error`} class="inline-error" role=${check.ok ? null : "alert"}>
            ${check.ok ? "" : `${name} ${check.error}`}
          </span>
        </div>
        <dl class="setting-facts">
          <div><dt>In force</dt><dd data-testid="setting-value">${settingText(setting.value)}</dd></div>
          <div><dt>Default</dt><dd>${settingText(setting.default) || "(empty)"}</dd></div>
          ${minimum !== null && html`<div><dt>Minimum</dt><dd>${minimum}</dd></div>`}
        </dl>
      </form>
    </li>`;
}
