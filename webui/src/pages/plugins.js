// Plugins: installed plugins (searchable, paged), install from a folder or a .zip after
// showing what the plugin may do, enable per persona (asked first), a form to call a
// function, and a task manager of the hosts with the kill history, live from plugin.* events
// and monitor.sample (no polling).
import { html, useEffect, useMemo, useState } from "../lib/preact.js";
import { call, choosePaths } from "../bridge.js";
import { useListStore, useStoreSnapshot } from "../lib/useStore.js";
import { useHubEvent } from "../lib/hooks.js";
import { createPersonaStore, createPluginStore } from "../lib/resources.js";
import {
  addKill, applyHostEvent, applySample, asksForPermissions, checkLowered, describePermissions, hostsFromStatus,
  parseArgs, parseTimeout, QUOTA_KEYS, resultText,
} from "../lib/plugins.js";
import { formatMB, formatTime } from "../lib/format.js";
import { showToast } from "../lib/toast.js";
import { VirtualList } from "../components/VirtualList.js";
import { ConfirmPlugin, FunctionList, ManifestWords } from "../components/PluginManifest.js";
import { HostsTable, KillHistory } from "../components/PluginHosts.js";

const ROW_HEIGHT = 64;

export function PluginsPage() {
  const [query, setQuery] = useState("");
  const store = useListStore(() => createPluginStore(call, ""), []);
  useEffect(() => { store.setParams(query.trim() ? { query: query.trim() } : {}); }, [query]);
  const snap = useStoreSnapshot(store);
  const [selected, setSelected] = useState(null); // a plugin map
  useEffect(() => { // the first plugin, until the person chooses one
    if (!selected && snap?.total) setSelected(store.item(0) ?? null);
  }, [snap?.version]);
  const [confirm, setConfirm] = useState(null); // {title, plugin, note, confirmLabel, blocked, run}
  const personas = usePersonas();
  const [persona, setPersona] = useState("");
  useEffect(() => { if (!persona && personas.items.length) setPersona(personas.items[0].id); }, [personas.items]);
  const enabled = useEnabled(persona);
  const live = useLiveHosts();
  const personaName = (id) => personas.names.get(id) ?? id;

  const installed = async (plugin) => {
    store.invalidate();
    setSelected(plugin);
    showToast({ kind: "ok", title: `Installed ${plugin.name} ${plugin.version}`, message: "Enable it for a persona to call it." });
  };
  const askInstall = (plugin, path) => setConfirm({
    title: "Install this plugin?", plugin, confirmLabel: `Install ${plugin.name}`,
    note: "It runs only for the personas you enable it for, in a sandboxed process held to these limits.",
    blocked: plugin.installed ? `A plugin named ${plugin.name} is installed already: uninstall it first.` : null,
    run: async () => installed(await call("plugin.install", { path })),
  });
  const askEnable = (plugin) => setConfirm({
    title: `Enable for ${personaName(persona)}?`, plugin, confirmLabel: `Enable ${plugin.name}`,
    note: `${plugin.name} will run for ${personaName(persona)} only, within these permissions and limits.`,
    run: async () => {
      await call("plugin.enable", { persona, name: plugin.name });
      enabled.refresh();
      live.forgetDisabled(persona, plugin.name);
      showToast({ kind: "ok", title: `Enabled ${plugin.name}`, message: `for ${personaName(persona)}` });
    },
  });
  const askUninstall = (plugin) => setConfirm({
    title: "Uninstall this plugin?", plugin, confirmLabel: `Uninstall ${plugin.name}`,
    note: "Its files, its enablings for every persona and its cached results go; its running hosts stop.",
    run: async () => {
      await call("plugin.uninstall", { name: plugin.name });
      store.invalidate();
      setSelected(null);
      enabled.refresh();
      showToast({ kind: "ok", title: `Uninstalled ${plugin.name}` });
    },
  });

  return html`
    <div class="page plugins-page">
      <header class="page-head">
        <h2>Plugins</h2>
        <p class="muted">Python extensions, each in a sandboxed process per persona, held to its quotas.</p>
      </header>
      <div class="toolbar">
        <input class="input" type="search" placeholder="Search by name or description" aria-label="Search plugins"
               data-testid="plugins-search" value=${query} onInput=${(e) => setQuery(e.currentTarget.value)} />
        <span class="muted" data-testid="plugins-count" aria-live="polite">
          ${snap?.total === null || snap?.total === undefined ? "loading…" : `${snap.total} installed`}
        </span>
        <span class="spacer"></span>
        <${PersonaPicker} personas=${personas} value=${persona} onChange=${setPersona} />
      </div>
      <${InstallBar} onInspected=${askInstall} />
      <div class="plugins-grid">
        <div class="plugins-list-col">
          ${snap?.error && html`<p class="inline-error" role="alert">Could not list plugins: ${snap.error.message}</p>`}
          <${VirtualList} store=${store} rowHeight=${ROW_HEIGHT} height="420px" fit=${true} label="Installed plugins"
                          testid="plugins-list" getKey=${(p) => p.name}
                          renderRow=${(plugin) => PluginRow(plugin, selected, setSelected, enabled.names)}
                          empty=${html`<${EmptyPlugins} loading=${snap?.total === null} filtered=${Boolean(query.trim())} />`} />
        </div>
        ${selected
          ? html`<${PluginDetail} key=${selected.name} plugin=${selected} persona=${persona}
                   personaName=${personaName} enabled=${enabled} disabled=${live.disabled}
                   onEnable=${askEnable} onUninstall=${askUninstall} onCalled=${live.refresh} />`
          : html`<aside class="panel plugin-detail plugin-detail-empty" aria-label="Plugin">
                   <p class="muted">Choose a plugin to see what it may do, enable it for a persona and call it.</p>
                 </aside>`}
      </div>
      <div class="plugins-live">
        <${HostsTable} hosts=${live.hosts} personaName=${personaName} onStop=${live.stop} />
        <${KillHistory} kills=${live.kills} personaName=${personaName} />
      </div>
      ${confirm && html`<${Confirm} confirm=${confirm} close=${() => setConfirm(null)} />`}
    </div>`;
}

function Confirm({ confirm, close }) {
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      await confirm.run();
      close();
    } catch {
      setBusy(false); // toasted by the shell; the dialog stays for another try or Cancel
    }
  };
  return html`<${ConfirmPlugin} ...${confirm} busy=${busy} onConfirm=${run} onCancel=${close} />`;
}

function EmptyPlugins({ loading, filtered }) {
  if (loading) return html`<p class="muted">Loading plugins…</p>`;
  return html`
    <div class="empty" data-testid="plugins-empty">
      <p><b>${filtered ? "No plugin matches." : "No plugins installed."}</b></p>
      <p class="muted">${filtered ? "Search by another word." : "Install one from a folder or a .zip above; the hub ships some in its plugins/ folder."}</p>
    </div>`;
}

function PluginRow(plugin, selected, select, enabledNames) {
  if (!plugin) return html`<div class="plugin-row placeholder-row" aria-busy="true">Loading…</div>`;
  const on = enabledNames.has(plugin.name);
  const asks = asksForPermissions(plugin.permissions);
  return html`
    <button type="button" class=${`plugin-row${selected?.name === plugin.name ? " selected" : ""}`}
            data-testid="plugin-row" data-plugin=${plugin.name} aria-pressed=${selected?.name === plugin.name}
            aria-label=${`${plugin.name} ${plugin.version}${on ? ", enabled" : ""}`} onClick=${() => select(plugin)}>
      <span class="plugin-row-top">
        <b class="truncate">${plugin.name}</b><span class="muted">${plugin.version}</span>
        ${on && html`<span class="pill pill-ok">enabled</span>`}
        ${asks && html`<span class="pill warn" title=${describePermissions(plugin.permissions).join("; ")}>permissions</span>`}
      </span>
      <span class="truncate muted">${String(plugin.description ?? "")}</span>
    </button>`;
}

function InstallBar({ onInspected }) {
  const [path, setPath] = useState("");
  const [busy, setBusy] = useState(false);
  const trimmed = path.trim();
  const problem = trimmed && !trimmed.startsWith("/") && !trimmed.startsWith("~") ? "Give the full path of a folder or a .zip" : "";
  const inspect = async (target) => {
    setBusy(true);
    try {
      onInspected(await call("plugin.inspect", { path: target }), target);
    } catch {
      // toasted with the core's message (e.g. the manifest key and rule)
    } finally {
      setBusy(false);
    }
  };
  const choose = async (kind) => {
    try {
      const [chosen] = await choosePaths(kind === "zip" ? { kind: "file", types: ["Plugin archives (*.zip)"] } : { kind: "folder" });
      if (chosen) { setPath(chosen); inspect(chosen); }
    } catch {
      // toasted
    }
  };
  return html`
    <form class="panel install-bar" aria-label="Install a plugin" onSubmit=${(e) => { e.preventDefault(); if (trimmed && !problem) inspect(trimmed); }}>
      <b>Install</b>
      <button class="button" type="button" onClick=${() => choose("folder")} data-testid="plugin-choose-folder">Choose folder…</button>
      <button class="button" type="button" onClick=${() => choose("zip")} data-testid="plugin-choose-zip">Choose .zip…</button>
      <span class="muted">or</span>
      <input class="input install-path" type="text" placeholder="/path/to/plugin or plugin.zip" aria-label="Plugin path"
             data-testid="plugin-path" value=${path} onInput=${(e) => setPath(e.currentTarget.value)}
             aria-invalid=${Boolean(problem)} aria-describedby="plugin-path-problem" />
      <button class="button primary" type="submit" disabled=${!trimmed || Boolean(problem) || busy} data-testid="plugin-install">
        ${busy ? "Checking…" : "Install…"}
      </button>
      <span id="plugin-path-problem" class="inline-error" role=${problem ? "alert" : undefined}>${problem}</span>
    </form>`;
}

function PersonaPicker({ personas, value, onChange }) {
  if (personas.loading) return html`<span class="muted">Loading personas…</span>`;
  if (!personas.items.length) return html`<span class="muted" data-testid="plugins-no-persona">No persona yet: <a href="#/personas">create one</a> to enable plugins.</span>`;
  return html`
    <label class="field-inline">
      <span>For persona</span>
      <select class="input select" aria-label="Persona" data-testid="plugins-persona" value=${value}
              onChange=${(e) => onChange(e.currentTarget.value)}>
        ${personas.items.map((p) => html`<option value=${p.id}>${p.name}</option>`)}
      </select>
    </label>`;
}

function PluginDetail({ plugin, persona, personaName, enabled, disabled, onEnable, onUninstall, onCalled }) {
  const on = enabled.names.has(plugin.name);
  const why = disabled.find((d) => d.persona === persona && d.name === plugin.name);
  const quotas = usePersonaQuotas(persona, plugin.name);
  const inForce = quotas.data ? { ...plugin, quotas: quotas.data.quotas } : plugin;
  const lowered = quotas.data?.lowered ?? {};
  const toggle = async () => {
    if (!on) { onEnable(plugin); return; }
    try {
      await call("plugin.disable", { persona, name: plugin.name });
      enabled.refresh();
      showToast({ kind: "info", title: `Disabled ${plugin.name}`, message: `for ${personaName(persona)}` });
    } catch {
      // toasted
    }
  };
  return html`
    <aside class="panel plugin-detail" aria-label=${`Plugin ${plugin.name}`} data-testid="plugin-detail">
      <header class="plugin-detail-head">
        <h3>${plugin.name} <span class="muted">${plugin.version}</span></h3>
        <button class="button ghost" type="button" onClick=${() => onUninstall(plugin)}>Uninstall</button>
      </header>
      <p>${String(plugin.description ?? "")}</p>
      ${plugin.installed_at ? html`<p class="muted">Installed ${formatTime(plugin.installed_at)}</p>` : ""}
      <${ManifestWords} plugin=${inForce} />
      ${Object.keys(lowered).length > 0 && html`<p class="muted" data-testid="plugin-lowered-note">
        Limits lowered for ${personaName(persona)}: ${Object.entries(lowered).map(([k, v]) => `${k} ${v} (its own ${plugin.quotas[k]})`).join(", ")}.</p>`}
      <h4>Functions</h4>
      <${FunctionList} functions=${plugin.functions} />
      ${persona && html`
        <div class="plugin-enable">
          <span data-testid="plugin-enabled-state">${on ? "Enabled" : "Not enabled"} for <b>${personaName(persona)}</b></span>
          <button class=${`button${on ? "" : " primary"}`} type="button" data-testid="plugin-toggle" onClick=${toggle}>
            ${on ? "Disable" : "Enable…"}
          </button>
        </div>
        ${why && !on && html`
          <p class="plugin-disabled-why" role="status" data-testid="plugin-disabled-why">
            Disabled for ${personaName(persona)} after ${why.failures} failures in a row (${formatTime(why.time)}):
            ${why.reason}. Fix the plugin (or raise its quota in its plugin.toml and install it again), then choose Enable… to enable it again.
          </p>`}
        <${LowerQuotas} key=${`${persona}/${JSON.stringify(lowered)}`} plugin=${plugin} persona=${persona}
                        personaName=${personaName} lowered=${lowered} onSaved=${quotas.refresh} />
        <${CallForm} plugin=${inForce} persona=${persona} enabled=${on} onCalled=${onCalled} />`}
      ${!persona && html`<p class="muted">Create a persona to enable and call this plugin.</p>`}
    </aside>`;
}

function LowerQuotas({ plugin, persona, personaName, lowered, onSaved }) {
  const [drafts, setDrafts] = useState(() => Object.fromEntries(
    QUOTA_KEYS.map((k) => [k, lowered[k] === undefined ? "" : String(lowered[k])])));
  const [busy, setBusy] = useState(false);
  const checked = checkLowered(drafts, plugin.quotas ?? {});
  const save = async (e) => {
    e.preventDefault();
    if (!checked.ok) return;
    setBusy(true);
    try {
      await call("plugin.quotas", { persona, name: plugin.name, lowered: checked.value });
      showToast({ kind: "ok", title: `Limits saved for ${personaName(persona)}`, message: `${plugin.name}'s next call runs under them.` });
      onSaved();
    } catch {
      // toasted
    } finally {
      setBusy(false);
    }
  };
  return html`
    <details class="lower-quotas" data-testid="plugin-lower">
      <summary>Lower its limits for ${personaName(persona)}</summary>
      <form onSubmit=${save} aria-label=${`Lower ${plugin.name}'s limits for ${personaName(persona)}`}>
        <div class="lower-grid">
          ${QUOTA_KEYS.filter((k) => Number.isFinite(plugin.quotas?.[k])).map((key) => html`
            <label key=${key}>
              <span><code>${key}</code></span>
              <input class="input" type="text" inputmode="numeric" aria-label=${`Lower ${key}`}
                     placeholder=${String(plugin.quotas[key])} value=${drafts[key]}
                     aria-invalid=${Boolean(checked.errors?.[key])}
                     onInput=${(e) => setDrafts({ ...drafts, [key]: e.currentTarget.value })} />
            </label>`)}
        </div>
        ${!checked.ok && html`<p class="inline-error" role="alert">${Object.values(checked.errors).join(" · ")}</p>`}
        <div class="call-actions">
          <button class="button" type="submit" disabled=${!checked.ok || busy}>${busy ? "Saving…" : "Save limits"}</button>
          <span class="muted">Empty keeps the plugin's own; a limit can only go down.</span>
        </div>
      </form>
    </details>`;
}

function CallForm({ plugin, persona, enabled, onCalled }) {
  const names = Object.keys(plugin.functions ?? {}).sort();
  const [fn, setFn] = useState(names[0] ?? "");
  const [text, setText] = useState("{}");
  const [timeout, setTimeoutText] = useState(""); // lowers wall_s for this call only
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState(null); // {result, usage} | {error}
  const parsed = useMemo(() => parseArgs(text), [text]);
  const limit = parseTimeout(timeout, plugin.quotas?.wall_s);
  const submit = async (e) => {
    e.preventDefault();
    if (!parsed.ok || !limit.ok || !enabled || !fn) return;
    setBusy(true);
    setOutcome(null);
    try {
      // The page shows the error beside the form, with its data: no toast.
      const params = { persona, name: plugin.name, function: fn, args: parsed.value };
      if (limit.value !== null) params.timeout_s = limit.value;
      setOutcome(await call("plugin.call", params, { quiet: true }));
    } catch (error) {
      setOutcome({ error });
    } finally {
      setBusy(false);
      onCalled();
    }
  };
  return html`
    <form class="call-form" aria-label="Call a function" onSubmit=${submit} data-testid="plugin-call-form">
      <h4>Call a function</h4>
      <label class="field-inline">
        <span>Function</span>
        <select class="input select" aria-label="Function" data-testid="plugin-call-function" value=${fn}
                onChange=${(e) => setFn(e.currentTarget.value)}>
          ${names.map((name) => html`<option value=${name}>${name}</option>`)}
        </select>
      </label>
      <label class="field-inline">
        <span>Wall time limit</span>
        <input class="input call-timeout" type="text" inputmode="decimal" aria-label="Wall time limit (seconds)"
               placeholder=${`${plugin.quotas?.wall_s ?? ""} s`} value=${timeout} data-testid="plugin-call-timeout"
               aria-invalid=${!limit.ok} onInput=${(e) => setTimeoutText(e.currentTarget.value)} />
        <span class="muted">seconds, only lower than its quota</span>
      </label>
      <label class="call-args">
        <span>Arguments (JSON object)</span>
        <textarea class="input" rows="2" spellcheck="false" aria-label="Arguments (JSON)" data-testid="plugin-call-args"
                  aria-invalid=${!parsed.ok} aria-describedby="plugin-args-problem"
                  value=${text} onInput=${(e) => setText(e.currentTarget.value)}></textarea>
      </label>
      <p id="plugin-args-problem" class="inline-error" role=${parsed.ok && limit.ok ? undefined : "alert"}>${[parsed.ok ? "" : parsed.error, limit.ok ? "" : limit.error].filter(Boolean).join(" · ")}</p>
      <div class="call-actions">
        <button class="button primary" type="submit" data-testid="plugin-call"
                disabled=${!parsed.ok || !limit.ok || !enabled || !fn || busy}>${busy ? "Calling…" : "Call"}</button>
        ${!enabled && html`<span class="muted">Enable it for this persona to call it.</span>`}
      </div>
      ${outcome && html`<${CallOutcome} outcome=${outcome} />`}
    </form>`;
}

function CallOutcome({ outcome }) {
  if (outcome.error) {
    const { code, message, data } = outcome.error;
    return html`
      <div class="call-outcome failed" role="alert" data-testid="plugin-call-error">
        <b>${code}</b>: ${message}
        ${data?.traceback && html`<details><summary>Traceback</summary><pre>${String(data.traceback)}</pre></details>`}
      </div>`;
  }
  const { result, usage } = outcome;
  return html`
    <div class="call-outcome" data-testid="plugin-call-outcome">
      <pre class="call-result" data-testid="plugin-call-result" aria-label="Result">${resultText(result)}</pre>
      <p class="muted" data-testid="plugin-call-usage">
        CPU ${Number(usage?.cpu_s ?? 0).toFixed(3)} s · wall ${Number(usage?.wall_s ?? 0).toFixed(3)} s · peak RSS ${formatMB(usage?.peak_rss)}
        ${usage && usage.wall_s === 0 && usage.cpu_s === 0 ? " · answered from the cache" : ""}
      </p>
    </div>`;
}

// ---- data hooks -----------------------------------------------------------------------

/** The first personas (persona.list, 200 of them) for the picker, and a name by id. */
function usePersonas() {
  const store = useListStore(() => createPersonaStore(call), []);
  const snap = useStoreSnapshot(store);
  useEffect(() => { store.ensure(0, 200).catch(() => undefined); }, [store]);
  const items = useMemo(() => store.loaded(), [snap?.version]);
  const names = useMemo(() => new Map(items.map((p) => [p.id, p.name])), [items]);
  return { items, names, loading: snap?.total === null && !snap?.error };
}

/** The plugins enabled for the persona (plugin.enabled), again after a change or a plugin.disabled. */
function useEnabled(persona) {
  const [names, setNames] = useState(new Set());
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (!persona) { setNames(new Set()); return; }
    let current = true;
    call("plugin.enabled", { persona }).then(({ items }) => { if (current) setNames(new Set(items)); }, () => undefined);
    return () => { current = false; };
  }, [persona, version]);
  const refresh = () => setVersion((v) => v + 1);
  useHubEvent("plugin.disabled", ({ data }) => { if (data?.persona === persona) refresh(); });
  return { names, refresh };
}

/** The plugin's quotas for the persona (plugin.quotas): {data, version, refresh}. */
function usePersonaQuotas(persona, name) {
  const [data, setData] = useState(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    setData(null);
    if (!persona) return undefined;
    let current = true;
    call("plugin.quotas", { persona, name }).then((found) => { if (current) setData(found); }, () => undefined);
    return () => { current = false; };
  }, [persona, name, version]);
  return { data, version, refresh: () => setVersion((v) => v + 1) };
}

/** The hosts, the kill history and the disablings: fetched once, then live from events. */
function useLiveHosts() {
  const [hosts, setHosts] = useState(new Map());
  const [kills, setKills] = useState([]);
  const [disabled, setDisabled] = useState([]);
  const load = () => {
    call("plugin.status", {}).then(({ items }) => setHosts(hostsFromStatus(items)), () => undefined);
    call("plugin.kills", {}).then((found) => { setKills(found.items); setDisabled(found.disabled); }, () => undefined);
  };
  useEffect(load, []);
  useHubEvent("shell.connection", ({ data }) => { if (data?.state === "connected") load(); });
  useHubEvent("plugin.", (event) => {
    setHosts((old) => applyHostEvent(old, event));
    if (event.topic === "plugin.killed") setKills((old) => addKill(old, event));
    if (event.topic === "plugin.disabled") {
      setDisabled((old) => [{ time: event.time, ...event.data },
        ...old.filter((d) => d.persona !== event.data.persona || d.name !== event.data.name)]);
    }
  });
  useHubEvent("monitor.sample", ({ data }) => setHosts((old) => applySample(old, data)));
  // After the page's own call: the calls count (no event carries it). Not a poll.
  const refresh = () => call("plugin.status", {}, { quiet: true })
    .then(({ items }) => setHosts((old) => mergeStatus(old, items)), () => undefined);
  const stop = async (host) => {
    try {
      const { stopped } = await call("plugin.stop", { persona: host.persona, name: host.name });
      if (!stopped) showToast({ kind: "info", title: "Already stopped", message: `${host.name} had no running host.` });
    } catch {
      // toasted
    }
  };
  const forgetDisabled = (persona, name) => setDisabled((old) => old.filter((d) => d.persona !== persona || d.name !== name));
  return { hosts, kills, disabled, refresh, stop, forgetDisabled };
}

function mergeStatus(old, items) {
  const next = new Map(old);
  for (const [key, host] of hostsFromStatus(items)) next.set(key, { ...(old.get(key) ?? {}), ...host });
  return next;
}
