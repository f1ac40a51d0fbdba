// The chat page without a persona (#/chat): every persona, most recently used first, with a
// search; a row opens that persona's conversations (#/chat/<persona id>).
import { html, useEffect, useState } from "../lib/preact.js";
import { call } from "../bridge.js";
import { formatRoute } from "../lib/router.js";
import { createPersonaStore } from "../lib/resources.js";
import { useListStore, useStoreSnapshot } from "../lib/useStore.js";
import { initials } from "../lib/personas.js";
import { VirtualList } from "./VirtualList.js";

const SEARCH_DELAY_MS = 120;
const RECENT = { sort: "last_used", descending: true };

export function ChatPersonaPicker({ onProviders }) {
  const [query, setQuery] = useState("");
  const store = useListStore(() => createPersonaStore(call, { params: RECENT }), []);
  const snap = useStoreSnapshot(store);
  const [searched, setSearched] = useState("");
  useEffect(() => {
    if (query.trim() === searched) return undefined;
    const timer = setTimeout(() => {
      setSearched(query.trim());
      store.setParams(query.trim() ? { ...RECENT, query: query.trim() } : RECENT);
    }, SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [store, query, searched]);
  const loading = snap?.total === null || snap?.total === undefined;
  return html`
    <div class="page page-fill chat-picker">
      <header class="page-head">
        <h2>Chat</h2>
        <p class="muted">Choose a persona to talk with.</p>
        <span class="spacer"></span>
        <button class="button" type="button" data-testid="chat-providers-open" onClick=${onProviders}>Model providers…</button>
      </header>
      <input class="input chat-picker-search" type="search" placeholder="Search personas…" aria-label="Search personas"
             data-testid="chat-persona-search" value=${query} onInput=${(e) => setQuery(e.currentTarget.value)} />
      <${VirtualList} store=${store} rowHeight=${60} height="100%" label="Personas" testid="chat-personas"
                      getKey=${(p) => p.id} fit=${true}
                      renderRow=${(p) => PersonaRow({ persona: p })}
                      empty=${loading
                        ? html`<p class="muted">Loading personas…</p>`
                        : query.trim()
                          ? html`<div class="empty"><p><b>No persona matches.</b></p><p class="muted">Try another name or tag.</p></div>`
                          : html`<div class="empty" data-testid="chat-no-personas">
                                   <p><b>No personas yet.</b></p>
                                   <p class="muted">Create or import one on the <a href="#/personas">Personas</a> page, then chat with it here.</p>
                                 </div>`} />
    </div>`;
}

function PersonaRow({ persona }) {
  if (!persona) return html`<div class="chat-persona placeholder-row" aria-busy="true">Loading…</div>`;
  return html`
    <a class="chat-persona" href=${formatRoute("chat", { persona: persona.id })} data-testid="chat-persona"
       aria-label=${`Chat with ${persona.name}`}>
      ${persona.thumbnail
        ? html`<img class="chat-avatar" src=${persona.thumbnail} alt="" />`
        : html`<span class="chat-avatar chat-avatar-initials" aria-hidden="true">${initials(persona.name)}</span>`}
      <span class="chat-persona-text">
        <b class="truncate">${persona.name}</b>
        <span class="muted truncate">${persona.summary || ""}</span>
      </span>
      <span class="muted chat-persona-used">${persona.last_used_at ? "recent" : ""}</span>
    </a>`;
}
