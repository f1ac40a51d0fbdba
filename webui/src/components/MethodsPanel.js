// system.methods in a virtual list, with a filter on name and documentation.
import { html, useEffect, useMemo, useState } from "../lib/preact.js";
import { useCall } from "../lib/hooks.js";
import { firstLine } from "../lib/format.js";
import { VirtualList } from "./VirtualList.js";

const ROW_HEIGHT = 48;
const LIST_HEIGHT = 384;

/** The methods whose name or doc contains `query` (case-insensitive). */
export function filterMethods(items, query) {
  const needle = query.trim().toLowerCase();
  if (!needle) return items;
  return items.filter((m) => `${m.name}\n${m.doc ?? ""}`.toLowerCase().includes(needle));
}

export function MethodsPanel() {
  const methods = useCall("system.methods");
  const [query, setQuery] = useState("");
  useEffect(() => { methods.run(); }, []);
  const all = methods.data?.items ?? [];
  const shown = useMemo(() => filterMethods(all, query), [all, query]);
  return html`
    <section class="panel" aria-labelledby="methods-title">
      <header class="panel-head">
        <h3 id="methods-title">Methods</h3>
        <span class="muted" data-testid="methods-count">
          ${methods.loading && !methods.data ? "loading…" : `${shown.length} of ${all.length}`}
        </span>
        <span class="spacer"></span>
        <input class="input" type="search" placeholder="Filter by name or description"
               data-testid="methods-filter" value=${query} aria-label="Filter methods"
               onInput=${(e) => setQuery(e.currentTarget.value)} />
      </header>
      ${methods.error && html`<p class="inline-error">Could not list methods: ${methods.error.message}</p>`}
      <${VirtualList} key=${query} items=${shown} rowHeight=${ROW_HEIGHT} height=${LIST_HEIGHT} label="Methods"
                      testid="methods-list" renderRow=${MethodRow} getKey=${(m) => m.name} />
    </section>`;
}

function MethodRow(method) {
  return html`
    <div class="method-row" data-testid="method-row">
      <code class="method-name">${method.name}</code>
      <span class="method-doc">${firstLine(method.doc) || "(no description)"}</span>
    </div>`;
}
