// Ctrl+K (or ⌘K): a dialog to jump to any page or persona by typing part of its name.
// A combobox over a listbox: arrows move, Enter goes, Esc closes and gives focus back.
import { html, useEffect, useMemo, useRef, useState } from "../lib/preact.js";
import { call } from "../bridge.js";
import { filterEntries, moveActive, switcherEntries } from "../lib/switcher.js";

// The switcher lists the first personas by name; a search over all of them comes with the
// Personas page's search (wave 2).
const PERSONAS_SHOWN = 200;

/** Opens on Ctrl+K / ⌘K anywhere; `pages` are the nav's pages. */
export function QuickSwitcher({ pages }) {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (e) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setOpen((was) => !was);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  return open ? html`<${SwitcherDialog} pages=${pages} close=${() => setOpen(false)} />` : null;
}

function usePersonas() {
  const [state, setState] = useState({ items: [], loading: true });
  useEffect(() => {
    let live = true;
    call("persona.list", { limit: PERSONAS_SHOWN })
      .then((reply) => live && setState({ items: reply.items ?? [], loading: false }))
      .catch(() => live && setState({ items: [], loading: false })); // the toast says why
    return () => { live = false; };
  }, []);
  return state;
}

function SwitcherDialog({ pages, close }) {
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const personas = usePersonas();
  const input = useRef(null);
  const entries = useMemo(() => switcherEntries(pages, personas.items), [pages, personas.items]);
  const shown = useMemo(() => filterEntries(entries, query), [entries, query]);
  useEffect(() => {
    const before = document.activeElement;
    input.current?.focus();
    return () => before?.focus?.();
  }, []);
  const go = (entry) => {
    if (!entry) return;
    close();
    location.hash = entry.hash;
  };
  const onKeyDown = (e) => {
    if (e.key === "Escape") { e.preventDefault(); close(); return; }
    if (e.key === "Enter") { e.preventDefault(); go(shown[active]); return; }
    const next = moveActive(active, e.key, shown.length);
    if (next !== active) { e.preventDefault(); setActive(next); }
  };
  const optionId = (i) => `qs-option-${i}`;
  return html`
    <div class="overlay" onClick=${(e) => e.target === e.currentTarget && close()}>
      <div class="switcher" role="dialog" aria-modal="true" aria-label="Quick switcher"
           data-testid="quick-switcher">
        <input ref=${input} class="input switcher-input" type="text" role="combobox"
               aria-label="Go to a page or persona" aria-expanded="true"
               aria-controls="qs-list" aria-autocomplete="list"
               aria-activedescendant=${shown.length ? optionId(active) : null}
               placeholder="Go to a page or persona…" value=${query}
               onInput=${(e) => { setQuery(e.currentTarget.value); setActive(0); }}
               onKeyDown=${onKeyDown} />
        <ul id="qs-list" class="switcher-list" role="listbox" aria-label="Pages and personas">
          ${shown.map((entry, i) => html`
            <li key=${entry.key} id=${optionId(i)} role="option" aria-selected=${i === active}
                class=${`switcher-option${i === active ? " active" : ""}`}
                onMouseMove=${() => setActive(i)} onClick=${() => go(entry)}>
              <span class="switcher-label">${entry.label}</span>
              <span class="switcher-detail muted">${entry.detail}</span>
            </li>`)}
        </ul>
        ${shown.length === 0 && html`<p class="switcher-empty muted">Nothing matches “${query}”.</p>`}
        <p class="switcher-foot muted">
          ↑ ↓ to choose · Enter to go · Esc to close${personas.loading ? " · loading personas…" : ""}
        </p>
      </div>
    </div>`;
}
