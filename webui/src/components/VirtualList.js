// The one virtual list: rows of a fixed height, only those in view (plus overscan) in the
// DOM, whatever the length — @tanstack/virtual-core does the range and scroll bookkeeping.
//
//   <${VirtualList} items=${array} … />                 a list in memory, or
//   <${VirtualList} store=${listStore} … />              a paged list store (lib/store.js):
//       the count is its total, rows come from store.item(i), and the pages in view are
//       fetched as the user scrolls (store.ensure); a row not fetched yet gets item undefined.
//   props: rowHeight (px), height (px or CSS length), renderRow(item, index), label (the
//          list's accessible name), testid, getKey(item, index)?, overscan?, empty (shown
//          when there are no rows), fit (shrink to the rows when they are fewer than fill it)
import { html, useEffect, useReducer, useRef, useState } from "../lib/preact.js";
import {
  Virtualizer, elementScroll, observeElementOffset, observeElementRect,
} from "../lib/virtual.js";
import { useStoreSnapshot } from "../lib/useStore.js";

function useVirtualizer(options) {
  const [, rerender] = useReducer((n) => n + 1, 0);
  const [instance] = useState(() => new Virtualizer({
    ...options, scrollToFn: elementScroll, observeElementRect, observeElementOffset,
    onChange: () => rerender(),
  }));
  instance.setOptions({
    ...instance.options, ...options, scrollToFn: elementScroll, observeElementRect,
    observeElementOffset, onChange: () => rerender(),
  });
  useEffect(() => instance._didMount(), [instance]);
  useEffect(() => { instance._willUpdate(); });
  return instance;
}

export function VirtualList({
  items = null, store = null, rowHeight, height, renderRow, label, testid, getKey,
  overscan = 6, empty = null, fit = false,
}) {
  const snap = useStoreSnapshot(store);
  const count = store ? (snap?.total ?? 0) : items.length;
  const itemAt = (i) => (store ? store.item(i) : items[i]);
  const scroller = useRef(null);
  const virtualizer = useVirtualizer({
    count, overscan, estimateSize: () => rowHeight,
    getScrollElement: () => scroller.current,
    getItemKey: (i) => (getKey && itemAt(i) !== undefined ? getKey(itemAt(i), i) : i),
  });
  const rows = virtualizer.getVirtualItems();
  const first = rows.length ? rows[0].index : 0;
  const last = rows.length ? rows[rows.length - 1].index + 1 : 0;
  useEffect(() => {
    // Errors reach the page through the store's snapshot (and the bridge's toasts).
    if (store) store.ensure(first, Math.max(last, 1)).catch(() => undefined);
  }, [store, first, last]);
  const fitted = fit && count > 0 ? `;min-height:0;max-height:${count * rowHeight + 2}px` : "";
  const style = `height:${typeof height === "number" ? `${height}px` : height}${fitted}`;
  return html`
    <div class="vlist" ref=${scroller} role="list" aria-label=${label} data-testid=${testid}
         data-count=${count} style=${style} tabindex="0">
      ${count === 0 && empty && html`<div class="vlist-empty">${empty}</div>`}
      <div class="vlist-spacer" style=${`height:${virtualizer.getTotalSize()}px`}>
        ${rows.map((row) => html`
          <div class="vlist-row" role="listitem" key=${row.key} data-index=${row.index}
               aria-setsize=${count} aria-posinset=${row.index + 1}
               style=${`transform:translateY(${row.start}px);height:${rowHeight}px`}>
            ${renderRow(itemAt(row.index), row.index)}
          </div>`)}
      </div>
    </div>`;
}
