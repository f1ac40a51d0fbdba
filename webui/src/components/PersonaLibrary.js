// The persona library: light rows from persona.list in a virtual list (avatar, name, tags,
// one-line description, memory count, last used), with search, sort, a three-state tag
// filter, favourites, and import by dialog, file input or drop. Refreshed by persona.changed.
import { html, useEffect, useLayoutEffect, useMemo, useRef, useState } from "../lib/preact.js";
import { call } from "../bridge.js";
import { useHubEvent } from "../lib/hooks.js";
import { useListStore, useStoreSnapshot, withFirstPage } from "../lib/useStore.js";
import { createPersonaStore } from "../lib/resources.js";
import { formatTime } from "../lib/format.js";
import { navigate } from "../lib/router.js";
import { SORTS, initials, libraryParams, memoryLabel, nextTagState } from "../lib/personas.js";
import { VirtualList } from "./VirtualList.js";
import { ImportButton, ImportResult, useCardImport } from "./PersonaImport.js";

const ROW_HEIGHT = 76;
const TAGS_SHOWN = 30;

export function PersonaLibrary() {
  const [query, setQuery] = useState("");
  const [sort, setSort] = useState("name");
  const [tags, setTags] = useState({});
  const [favourites, setFavourites] = useState(false);
  const [allTags, setAllTags] = useState(null);
  const [dragging, setDragging] = useState(false);
  const cardImport = useCardImport();
  const store = useListStore(
    () => withFirstPage(createPersonaStore(call, { params: libraryParams({}) })), []);
  const snap = useStoreSnapshot(store);
  // A changed search asks at once (a layout effect: before the paint, not a frame after) and
  // keeps the rows shown until its own come, so the list is drawn once per answer.
  const params = useMemo(() => libraryParams({ query, sort, tags, favourites }),
    [query, sort, tags, favourites]);
  const key = JSON.stringify(params);
  const asked = useRef(key);
  useLayoutEffect(() => {
    if (key === asked.current) return;
    asked.current = key;
    store.setParams(params, { keep: true });
  }, [store, key]);
  const loadTags = () => call("persona.tags", { limit: TAGS_SHOWN }).then((r) => setAllTags(r.items))
    .catch(() => setAllTags([]));
  useEffect(() => { loadTags(); }, []);
  useHubEvent("persona.changed", () => loadTags());
  const filtered = Boolean(query.trim() || favourites || Object.values(tags).some((s) => s !== "off"));

  const onDrop = (event) => {
    event.preventDefault();
    setDragging(false);
    if (event.dataTransfer?.files?.length) cardImport.importFiles(event.dataTransfer.files).catch(() => undefined);
  };
  return html`
    <div class=${`page page-fill personas-page${dragging ? " dragging" : ""}`}
         onDragOver=${(e) => { e.preventDefault(); setDragging(true); }}
         onDragLeave=${(e) => { if (e.currentTarget === e.target) setDragging(false); }}
         onDrop=${onDrop}>
      <header class="page-head">
        <h2>Personas</h2>
        <p class="muted">Your library. Drop card files (PNG or JSON) anywhere here to import them.</p>
      </header>
      <div class="toolbar">
        <input class="input persona-search" type="search" placeholder="Search names, tags, descriptions"
               aria-label="Search personas" data-testid="persona-search" value=${query}
               onInput=${(e) => setQuery(e.currentTarget.value)} />
        <label class="field-inline"><span>Sort by</span>
          <select class="input select" aria-label="Sort personas by" data-testid="persona-sort"
                  value=${sort} onChange=${(e) => setSort(e.currentTarget.value)}>
            ${SORTS.map((s) => html`<option value=${s.value}>${s.label}</option>`)}
          </select>
        </label>
        <button class=${`button${favourites ? " primary" : ""}`} type="button" aria-pressed=${favourites}
                data-testid="persona-favourites" onClick=${() => setFavourites(!favourites)}>★ Favourites</button>
        <span class="toolbar-spacer"></span>
        <${ImportButton} cardImport=${cardImport} />
        <button class="button primary" type="button" data-testid="persona-new"
                onClick=${() => navigate("personas", { persona: "new" })}>New persona</button>
      </div>
      <${TagFilter} tags=${allTags} states=${tags} onChange=${setTags} />
      <${ImportResult} result=${cardImport.result} onDismiss=${cardImport.dismiss} />
      <span class="muted persona-count" data-testid="persona-count" aria-live="polite">
        ${snap?.total === null || snap?.total === undefined ? "loading…" : `${snap.total} ${snap.total === 1 ? "persona" : "personas"}${filtered ? " match" : ""}`}
      </span>
      <${VirtualList} store=${store} rowHeight=${ROW_HEIGHT} height="100%" label="Personas"
                      testid="persona-list" getKey=${(p) => p.id}
                      renderRow=${(p) => PersonaRow(p, store)}
                      empty=${html`<${EmptyLibrary} loading=${snap?.total === null} filtered=${filtered} />`} />
      ${dragging && html`<div class="persona-drop" aria-hidden="true">Drop card files to import them</div>`}
    </div>`;
}

function TagFilter({ tags, states, onChange }) {
  // Until persona.tags answers, an invisible chip holds the row's height: the list, often
  // drawn first, does not jump down when the chips come.
  if (tags === null) return html`<div class="persona-tags" aria-hidden="true"><span class="tag-chip tag-pending"> </span></div>`;
  if (!tags.length) return null;
  return html`
    <div class="persona-tags" role="group" aria-label="Filter by tag (off, include, exclude)">
      ${tags.map(({ tag, count }) => {
        const state = states[tag] ?? "off";
        const label = `Tag ${tag}: ${state === "off" ? "not filtering" : state === "include" ? "included" : "excluded"}`;
        return html`
          <button type="button" class=${`tag-chip tag-${state}`} data-testid="tag-chip" data-tag=${tag}
                  data-state=${state} aria-label=${label} title="Click: include, exclude, off"
                  onClick=${() => onChange({ ...states, [tag]: nextTagState(state) })}>
            ${state === "include" ? "+ " : state === "exclude" ? "− " : ""}${tag} <span class="muted">${count}</span>
          </button>`;
      })}
    </div>`;
}

function EmptyLibrary({ loading, filtered }) {
  if (loading) return html`<p class="muted">Loading personas…</p>`;
  if (filtered) return html`<div class="empty" data-testid="persona-empty"><p><b>No persona matches.</b></p><p class="muted">Change the search or the filters.</p></div>`;
  return html`
    <div class="empty" data-testid="persona-empty">
      <p><b>No personas yet.</b></p>
      <p class="muted">Create one with “New persona”, or import Character Cards (PNG or JSON):
        drop them here or use “Import cards…”.</p>
    </div>`;
}

export function Avatar({ src, name, size = 48 }) {
  return src
    ? html`<img class="persona-avatar" src=${src} alt="" width=${size} height=${size} />`
    : html`<span class="persona-avatar persona-initials" aria-hidden="true">${initials(name)}</span>`;
}

function PersonaRow(persona, store) {
  if (!persona) return html`<div class="persona-row placeholder-row" aria-busy="true">Loading…</div>`;
  const href = `#/personas/${encodeURIComponent(persona.id)}`;
  return html`
    <article class="persona-row" data-testid="persona-row" data-persona=${persona.id}
             aria-label=${persona.name}>
      <${Avatar} src=${persona.thumbnail} name=${persona.name} />
      <div class="persona-main">
        <div class="persona-title">
          <a href=${href} class="persona-name truncate" data-testid="persona-open">${persona.name}</a>
          ${(persona.tags ?? []).slice(0, 6).map((t) => html`<span class="pill tag-pill">${t}</span>`)}
        </div>
        <div class="persona-summary truncate muted">${persona.summary || "No description."}</div>
        <div class="persona-meta muted">
          ${memoryLabel(persona.memory_count)} · last used ${persona.last_used_at ? formatTime(persona.last_used_at) : "never"}
        </div>
      </div>
      <button type="button" class=${`button ghost favourite${persona.favourite ? " on" : ""}`}
              aria-pressed=${persona.favourite} data-testid="persona-favourite"
              aria-label=${`${persona.favourite ? "Unfavourite" : "Favourite"} ${persona.name}`}
              onClick=${() => toggleFavourite(persona, store)}>${persona.favourite ? "★" : "☆"}</button>
    </article>`;
}

export async function toggleFavourite(persona, store) {
  const favourite = !persona.favourite;
  store?.patch((p) => p.id === persona.id, (p) => ({ ...p, favourite }));
  try {
    await call("persona.update", { id: persona.id, favourite });
  } catch {
    store?.patch((p) => p.id === persona.id, (p) => ({ ...p, favourite: !favourite }));
  }
}
