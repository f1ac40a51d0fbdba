// Memory, per persona: every memory newest first in a virtual list paged
// through memory.list (live from memory.changed), search (memory.search: mode, dates, a
// metadata filter, superseded, as_of) with scores and the matched words highlighted, a detail
// pane to add, edit and delete (with an undo window), the context inspector (memory.context)
// and maintenance as tasks.
import { html, useEffect, useLayoutEffect, useMemo, useRef, useState } from "../lib/preact.js";
import { call } from "../bridge.js";
import { formatRoute } from "../lib/router.js";
import { useListStore, useStoreSnapshot, withFirstPage } from "../lib/useStore.js";
import { MEMORY_LIST, createMemoryStore, createPersonaStore } from "../lib/resources.js";
import { useHubEvent } from "../lib/hooks.js";
import { formatTime } from "../lib/format.js";
import { showToast } from "../lib/toast.js";
import {
  createDeleteQueue, highlightParts, localToSeconds, matchedWords, nextSearch, parseFilter,
} from "../lib/memoryView.js";
import { VirtualList } from "../components/VirtualList.js";
import { MemoryDetail, MemoryAdd } from "../components/MemoryDetail.js";
import { MemoryContext } from "../components/MemoryContext.js";
import { MemoryMaintenance } from "../components/MemoryMaintenance.js";

const ROW_HEIGHT = 68;
const UNDO_MS = 6000;
// Search results come a page this long at a time: a screenful and the rows around it, so the
// first reply is small (each row is read from the table and crosses the bridge).
const SEARCH_PAGE = 20;

export function MemoryPage({ params }) {
  const persona = params?.persona;
  if (!persona) return html`<${PersonaPicker} />`;
  return html`<${MemoryBrowser} persona=${persona} key=${persona} />`;
}

function PersonaPicker() {
  const store = useListStore(() => createPersonaStore(call), []);
  const snap = useStoreSnapshot(store);
  return html`
    <div class="page page-fill memory-page">
      <header class="page-head">
        <h2>Memory</h2>
        <p class="muted">Choose a persona to see what it remembers.</p>
      </header>
      <${VirtualList} store=${store} rowHeight=${52} height="100%" label="Personas" fit=${true}
                      testid="memory-personas" getKey=${(p) => p.id}
                      renderRow=${(p) => (p
                        ? html`<a class="memory-persona" href=${formatRoute("memory", { persona: p.id })}
                                  data-testid="memory-persona" aria-label=${`Memories of ${p.name}`}>
                                 <b class="truncate">${p.name}</b>
                                 <span class="muted truncate">${p.description || ""}</span>
                               </a>`
                        : html`<div class="memory-persona placeholder-row" aria-busy="true">Loading…</div>`)}
                      empty=${snap?.total === null
                        ? html`<p class="muted">Loading personas…</p>`
                        : html`<div class="empty" data-testid="memory-no-personas">
                                 <p><b>No personas yet.</b></p>
                                 <p class="muted">Create one on the <a href="#/personas">Personas</a> page.</p>
                               </div>`} />
    </div>`;
}

const EMPTY_SEARCH = { query: "", mode: "hybrid", since: "", until: "", filter: "", superseded: false, asOf: "" };

/** The search the form asks for: its params, null for none, the applied one while it has an error. */
function wantedSearch(built, applied) {
  return built?.error ? applied : (built?.params ?? null);
}

/** The memory.search params of the form, or {error}; null when there is no query. */
function searchParams(persona, form) {
  if (!form.query.trim()) return null;
  const filter = parseFilter(form.filter);
  if (filter.error) return { error: `Metadata filter: ${filter.error}` };
  const p = { persona, query: form.query.trim(), mode: form.mode };
  const since = localToSeconds(form.since);
  const until = localToSeconds(form.until);
  const asOf = localToSeconds(form.asOf);
  if (since !== null) p.since = since;
  if (until !== null) p.until = until;
  if (since !== null && until !== null && until <= since) return { error: "Until must be after since" };
  if (asOf !== null) p.as_of = asOf;
  if (filter.value) p.filter = filter.value;
  if (form.superseded) p.include_superseded = true;
  return { params: p };
}

function MemoryBrowser({ persona }) {
  const [tab, setTab] = useState("memories");
  const [form, setForm] = useState(EMPTY_SEARCH);
  const [applied, setApplied] = useState(null); // the search in force (params), or null
  const [formError, setFormError] = useState("");
  const [selected, setSelectedRaw] = useState(null); // id in the detail pane, or "new"
  const [trail, setTrail] = useState([]); // ids followed along superseded_by, to go back
  const setSelected = (id) => { setTrail([]); setSelectedRaw(id); };
  const [checked, setChecked] = useState(() => new Set());
  const [, bump] = useState(0);
  const [undo, setUndo] = useState(null); // {key, count}
  const [name, setName] = useState(persona);

  useEffect(() => {
    call("persona.get", { id: persona }, { quiet: true }).then((p) => setName(p.name)).catch(() => undefined);
  }, [persona]);

  // One store for the list and the searches: a new search keeps the rows shown until its
  // results come (an empty list between two searches would be drawn twice for nothing).
  const store = useListStore(() => withFirstPage(createMemoryStore(call, persona)), [persona]);
  const snap = useStoreSnapshot(store);
  const scroller = useRef(null);
  const key = applied ? JSON.stringify(applied) : "";
  const shownKey = useRef(key);
  // Sends the search (or the list, for null) the store shows, unless it shows it already.
  const show = (params) => {
    const k = params ? JSON.stringify(params) : "";
    if (k === shownKey.current) return;
    shownKey.current = k;
    if (scroller.current) scroller.current.scrollTop = 0; // a new search starts at its best
    store.setParams(params ?? { persona }, {
      keep: true, method: params ? "memory.search" : MEMORY_LIST.method,
      pageSize: params ? SEARCH_PAGE : MEMORY_LIST.pageSize,
    });
  };
  useLayoutEffect(() => show(applied), [key]);

  // Search as the user types: at once when no search is in flight, else the latest query once
  // the one in flight is back (typing faster than the core answers skips the queries between).
  const built = useMemo(() => searchParams(persona, form), [persona, form]);
  const wanted = wantedSearch(built, applied);
  const busy = Boolean(snap?.loading);
  // Applies (and sends) the wanted search when it is due.
  const advance = (search, inFlight) => {
    const next = nextSearch(search, applied, inFlight);
    if (!next) return;
    show(next.params);
    setApplied(next.params);
  };
  useLayoutEffect(() => { setFormError(built?.error ?? ""); }, [built]);
  useLayoutEffect(() => advance(wanted, busy), [wanted, applied, busy]);
  // A keystroke sends its search from the input handler, before the two renders that would
  // send it from the effect above (the state follows; the effect then finds it sent).
  const searchNow = (nextForm) => advance(wantedSearch(searchParams(persona, nextForm), applied),
    Boolean(store.snapshot().loading));

  const queue = useMemo(() => createDeleteQueue({
    delayMs: UNDO_MS,
    onChange: () => bump((n) => n + 1),
    send: async (ids) => {
      const results = await Promise.allSettled(ids.map((id) => call("memory.delete", { persona, id })));
      const done = results.filter((r) => r.status === "fulfilled").length;
      if (done) showToast({ kind: "ok", title: "Deleted", message: `${done} ${done === 1 ? "memory" : "memories"} deleted.` });
    },
  }), [persona]);
  // Leaving the page (or closing the window) ends the undo windows: what was deleted is
  // sent now. A send the closing window cannot finish leaves the memory in place, never loses one.
  useEffect(() => {
    const flush = () => { queue.flush(); };
    window.addEventListener("pagehide", flush);
    return () => { window.removeEventListener("pagehide", flush); flush(); };
  }, [queue]);

  function scheduleDelete(ids) {
    if (!ids.length) return;
    const k = queue.schedule(ids);
    setUndo({ key: k, count: ids.length });
    setChecked(new Set());
    if (ids.includes(selected)) setSelected(null);
    setTimeout(() => setUndo((u) => (u && u.key === k ? null : u)), UNDO_MS);
  }
  function undoDelete() {
    if (undo && queue.undo(undo.key)) showToast({ kind: "info", title: "Restored", message: "The delete was undone." });
    setUndo(null);
  }

  const set = (field) => (e) => {
    const target = e.currentTarget;
    const value = target.type === "checkbox" ? target.checked : target.value;
    searchNow({ ...form, [field]: value });
    setForm((f) => ({ ...f, [field]: value }));
  };
  const toggle = (id) => setChecked((c) => {
    const next = new Set(c);
    if (next.has(id)) next.delete(id); else next.add(id);
    return next;
  });
  const searching = snap?.method === "memory.search"; // what the rows shown are
  const shownQuery = searching ? snap.params?.query : undefined;
  const total = snap?.total;

  return html`
    <div class="page page-fill memory-page">
      <header class="page-head">
        <h2>Memory</h2>
        <p class="muted truncate">of <b data-testid="memory-persona-name">${name}</b>${" · "}<a
           href=${formatRoute("memory", {})}>another persona</a></p>
      </header>
      <div class="tabs" role="tablist" aria-label="Memory views">
        ${[["memories", "Memories"], ["context", "Context inspector"], ["maintenance", "Maintenance"]].map(([id, label]) => html`
          <button class="tab" role="tab" type="button" id=${`memory-tab-${id}`} aria-selected=${tab === id}
                  aria-controls=${`memory-panel-${id}`} onClick=${() => setTab(id)}>${label}</button>`)}
      </div>
      ${undo && html`
        <div class="memory-undo" role="status" data-testid="memory-undo">
          <span>${undo.count === 1 ? "A memory will be deleted" : `${undo.count} memories will be deleted`} in a few seconds.</span>
          <button class="button" type="button" onClick=${undoDelete}>Undo delete</button>
        </div>`}
      ${tab === "memories" && html`
        <section class="memory-main" id="memory-panel-memories" role="tabpanel" aria-labelledby="memory-tab-memories">
          <form class="memory-search" role="search" aria-label="Search memories"
                onSubmit=${(e) => { e.preventDefault(); const b = searchParams(persona, form); if (b?.params) setApplied(b.params); }}>
            <input class="input memory-query" type="search" placeholder="Search memories…" aria-label="Search query"
                   data-testid="memory-query" value=${form.query} onInput=${set("query")} />
            <select class="input select" aria-label="Search mode" data-testid="memory-mode" value=${form.mode} onChange=${set("mode")}>
              <option value="hybrid">hybrid</option>
              <option value="vector">by meaning (vector)</option>
              <option value="text">by words (text)</option>
            </select>
            <details class="memory-filters">
              <summary class="button ghost" data-testid="memory-filters-toggle">Filters</summary>
              <div class="memory-filter-grid">
                <label>Since <input class="input" type="datetime-local" aria-label="Created since" value=${form.since} onInput=${set("since")} /></label>
                <label>Until <input class="input" type="datetime-local" aria-label="Created until" value=${form.until} onInput=${set("until")} /></label>
                <label>As of <input class="input" type="datetime-local" aria-label="As of" value=${form.asOf} onInput=${set("asOf")} /></label>
                <label>Metadata <input class="input" type="text" placeholder="topic=food, rating=5" aria-label="Metadata filter"
                                       data-testid="memory-filter" value=${form.filter} onInput=${set("filter")} /></label>
                <label class="field-inline"><input type="checkbox" checked=${form.superseded} onChange=${set("superseded")} /> Show superseded</label>
                <button class="button ghost" type="button" onClick=${() => setForm((f) => ({ ...EMPTY_SEARCH, query: f.query, mode: f.mode }))}>Clear filters</button>
              </div>
            </details>
            <span class="muted" data-testid="memory-count" aria-live="polite">
              ${total === null || total === undefined ? "loading…" : `${total} ${searching ? (total === 1 ? "result" : "results") : (total === 1 ? "memory" : "memories")}`}
            </span>
            <span class="memory-actions">
              ${checked.size > 0 && html`
                <button class="button" type="button" data-testid="memory-delete-selected"
                        onClick=${() => scheduleDelete([...checked])}>Delete ${checked.size} selected</button>`}
              <button class="button primary" type="button" data-testid="memory-add" onClick=${() => setSelected("new")}>Add memory</button>
            </span>
          </form>
          ${formError && html`<p class="inline-error" role="alert" data-testid="memory-form-error">${formError}</p>`}
          ${snap?.error && html`<p class="inline-error" role="alert">Could not ${searching ? "search" : "list"} memories: ${snap.error.message}</p>`}
          <div class="memory-split">
            <${VirtualList} store=${store} rowHeight=${ROW_HEIGHT} height="100%" label=${searching ? "Search results" : "Memories"}
                            testid="memory-list" getKey=${(m) => m.id} scrollerRef=${scroller}
                            renderRow=${(m) => MemoryRow({ memory: m, query: shownQuery, selected, checked, pending: m && queue.pending(m.id),
                              onSelect: setSelected, onToggle: toggle })}
                            empty=${html`<${EmptyMemories} loading=${total === null || total === undefined} searching=${searching} />`} />
            <aside class="memory-pane panel" aria-label="Memory detail" data-testid="memory-pane">
              ${selected === "new"
                ? html`<${MemoryAdd} persona=${persona} onAdded=${(id) => setSelected(id)} onCancel=${() => setSelected(null)} />`
                : selected
                  ? html`<${MemoryDetail} persona=${persona} id=${selected} key=${selected}
                                         onDelete=${(id) => scheduleDelete([id])} trail=${trail}
                                         onFollow=${(from, to) => { setTrail([...trail, from]); setSelectedRaw(to); }}
                                         onBack=${() => { setSelectedRaw(trail[trail.length - 1]); setTrail(trail.slice(0, -1)); }} />`
                  : html`<div class="empty"><p class="muted">Select a memory to see it whole, edit or delete it; or add one.</p></div>`}
            </aside>
          </div>
        </section>`}
      ${tab === "context" && html`
        <section id="memory-panel-context" role="tabpanel" aria-labelledby="memory-tab-context">
          <${MemoryContext} persona=${persona} />
        </section>`}
      ${tab === "maintenance" && html`
        <section id="memory-panel-maintenance" role="tabpanel" aria-labelledby="memory-tab-maintenance">
          <${MemoryMaintenance} persona=${persona} />
        </section>`}
    </div>`;
}

function EmptyMemories({ loading, searching }) {
  if (loading) return html`<p class="muted">Loading memories…</p>`;
  return html`
    <div class="empty" data-testid="memory-empty">
      <p><b>${searching ? "Nothing matches." : "No memories yet."}</b></p>
      <p class="muted">${searching ? "Try other words, another mode, or fewer filters." : "Add one here, or let a conversation make them."}</p>
    </div>`;
}

/** The text with the query's words in <mark>: text nodes only, never HTML. */
export function Highlighted({ text, query }) {
  return highlightParts(text, query).map((part) => (part.match ? html`<mark>${part.text}</mark>` : part.text));
}

function MemoryRow({ memory, query, selected, checked, pending, onSelect, onToggle }) {
  if (!memory) return html`<div class="memory-row placeholder-row" aria-busy="true">Loading…</div>`;
  const short = memory.text.length > 40 ? `${memory.text.slice(0, 40)}…` : memory.text;
  const words = query ? matchedWords(memory.text, query) : [];
  const superseded = Boolean(memory.metadata?.superseded_by);
  return html`
    <div class=${`memory-row${selected === memory.id ? " selected" : ""}${pending ? " pending-delete" : ""}`}
         data-testid="memory-row" data-memory=${memory.id}>
      <input type="checkbox" class="memory-check" aria-label=${`Select memory “${short}”`} disabled=${pending}
             checked=${checked.has(memory.id)} onChange=${() => onToggle(memory.id)} />
      <button class="memory-open" type="button" aria-label=${`Open memory “${short}”`}
              aria-current=${selected === memory.id ? "true" : undefined} onClick=${() => onSelect(memory.id)}>
        <span class="memory-text" data-testid="memory-text">${query ? html`<${Highlighted} text=${memory.text} query=${query} />` : memory.text}</span>
        <span class="memory-meta muted">
          ${pending ? html`<b class="memory-deleting">being deleted</b>` : ""}
          ${typeof memory.score === "number" && html`<span class="pill memory-score" data-testid="memory-score"
                                                         title="Search score">score ${memory.score.toFixed(3)}</span>`}
          ${words.length > 0 && html`<span data-testid="memory-matched">matched: ${words.join(", ")}</span>`}
          ${superseded && html`<span class="pill warn">superseded</span>`}
          <span>${formatTime(memory.created_at)}</span>
          <span>importance ${Number(memory.importance ?? 0).toFixed(2)}</span>
        </span>
      </button>
    </div>`;
}
