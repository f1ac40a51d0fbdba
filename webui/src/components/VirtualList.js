// The one virtual list: only the rows in view (plus overscan) in the DOM, whatever the
// length — @tanstack/virtual-core does the range and scroll bookkeeping. Rows have a fixed
// height, or (`measure`) each is measured as it renders and whenever it resizes. Rows of a
// fixed height take turns with the same few elements (keyed by slot, not by row), so a scroll
// patches the elements in place instead of making new ones.
//
//   <${VirtualList} items=${array} … />                 a list in memory, or
//   <${VirtualList} store=${listStore} … />              a paged list store (lib/store.js):
//       the count is its total, rows come from store.item(i), and the pages in view are
//       fetched as the user scrolls (store.ensure); a row not fetched yet gets item undefined.
//   props: rowHeight (px), height (px or CSS length), renderRow(item, index), label (the
//          list's accessible name), testid, getKey(item, index)? (the keys of measured rows),
//          overscan?, empty (shown when there are no rows), fit (shrink to the rows when
//          they are fewer than fill it)
//   measure: rows of their own heights (rowHeight is the estimate for one not yet drawn)
//   stickToBottom: opens at the end and stays there as rows grow or are added, until the
//          person scrolls up (back at the end, it sticks again); onAtBottom(bool) says which;
//          scrollerRef: a ref given the scrolling element (to scroll to the end on request)
import {
  html, useCallback, useEffect, useLayoutEffect, useReducer, useRef, useState,
} from "../lib/preact.js";
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
  overscan = 6, empty = null, fit = false, measure = false, stickToBottom = false, onAtBottom,
  scrollerRef,
}) {
  const snap = useStoreSnapshot(store);
  const count = store ? (snap?.total ?? 0) : items.length;
  const itemAt = (i) => (store ? store.item(i) : items[i]);
  const ownRef = useRef(null);
  const scroller = scrollerRef ?? ownRef;
  const estimateSize = useCallback(() => rowHeight, [rowHeight]);
  const getScrollElement = useCallback(() => scroller.current, [scroller]);
  const virtualizer = useVirtualizer({
    count, overscan, estimateSize, getScrollElement,
    // A new getItemKey makes virtual-core measure every row again (O(count) per render: 100 ms
    // a frame at 100,000 rows), so rows of a fixed height keep its default, stable key (the
    // index); measured rows need their own keys, which a measured list's length allows.
    getItemKey: measure
      ? (i) => (getKey && itemAt(i) !== undefined ? getKey(itemAt(i), i) : i)
      : undefined,
  });
  const rows = virtualizer.getVirtualItems();
  const slots = useSlots(rows.length);
  const first = rows.length ? rows[0].index : 0;
  const last = rows.length ? rows[rows.length - 1].index + 1 : 0;
  useEffect(() => {
    // Errors reach the page through the store's snapshot (and the bridge's toasts).
    if (store) store.ensure(first, Math.max(last, 1)).catch(() => undefined);
  }, [store, first, last]);
  const onScroll = useStickToBottom(stickToBottom, scroller, virtualizer, count, onAtBottom);
  useFocusKeptToItsRow(scroller, !measure);
  const fitted = fit && count > 0 ? `;min-height:0;max-height:${count * rowHeight + 2}px` : "";
  const style = `height:${typeof height === "number" ? `${height}px` : height}${fitted}`;
  return html`
    <div class="vlist" ref=${scroller} role="list" aria-label=${label} data-testid=${testid}
         data-count=${count} style=${style} tabindex="0" onScroll=${onScroll}>
      ${count === 0 && empty && html`<div class="vlist-empty">${empty}</div>`}
      <div class="vlist-spacer" style=${`height:${virtualizer.getTotalSize()}px`}>
        ${rows.map((row) => html`
          <div class="vlist-row" role="listitem" key=${measure ? row.key : row.index % slots} data-index=${row.index}
               aria-setsize=${count} aria-posinset=${row.index + 1}
               ref=${measure ? virtualizer.measureElement : undefined}
               style=${`transform:translateY(${row.start}px)${measure ? "" : `;height:${rowHeight}px`}`}>
            ${renderRow(itemAt(row.index), row.index)}
          </div>`)}
      </div>
    </div>`;
}

/**
 * How many keys the rows of a fixed height take turns with: at least the most rows drawn at
 * once. A row's key is its index modulo this, so a row that scrolls in takes the element of
 * the row that scrolled out (its text and attributes patched) instead of a new one: a jump
 * of the whole view patches every row and creates none.
 */
function useSlots(drawn) {
  const most = useRef(1);
  most.current = Math.max(most.current, drawn);
  return most.current;
}

/**
 * With slots, a render can hand the element of the focused row to another row, or move it
 * (which drops the focus). Read during the render, before the DOM changes: after it, the
 * focus is put back on the same row where it is still drawn, else on the list itself, rather
 * than lost to the page or left on a row the person did not choose (Enter would open it).
 */
function useFocusKeptToItsRow(scroller, on) {
  const el = scroller.current;
  const active = on && el ? document.activeElement : null;
  const row = active && active !== el && el.contains(active) ? active.closest(".vlist-row") : null;
  const was = row ? { element: active, index: row.dataset.index } : null; // as this render began
  useLayoutEffect(() => {
    if (!was || !scroller.current) return;
    const now = was.element.closest(".vlist-row");
    const sameRow = was.element.isConnected && now?.dataset.index === was.index;
    if (sameRow && document.activeElement === was.element) return;
    if (sameRow) was.element.focus({ preventScroll: true });
    else scroller.current.focus({ preventScroll: true });
  });
}

const BOTTOM_SLACK_PX = 24;

/**
 * Keeps the list scrolled to its end while `on` and the person has not scrolled up: after
 * every render (rows measured, added or grown) it scrolls to the end again. Returns the
 * list's scroll handler, which notes whether the person left the end or came back to it.
 */
function useStickToBottom(on, scroller, virtualizer, count, onAtBottom) {
  const stuck = useRef(true);
  const placed = useRef(-1); // the scrollTop this hook last set: growth below it is not a scroll up
  const report = useRef(onAtBottom);
  report.current = onAtBottom;
  const note = (next, el) => {
    if (next !== stuck.current) {
      stuck.current = next;
      report.current?.(next);
    }
    // Stuck again at the end by a scroll, the list is placed where that scroll left it.
    placed.current = next ? el.scrollTop : -1;
  };
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!on || !el || !stuck.current || count === 0) return;
    // A scroll up whose event has not come yet (a render between the scroll and its event,
    // such as a row measured) is the person's: it unsticks, rather than being undone.
    if (scrolledUp(el, placed.current)) { note(false, el); return; }
    const end = el.scrollHeight - el.clientHeight;
    if (Math.abs(el.scrollTop - end) > 1) el.scrollTop = end;
    placed.current = el.scrollTop;
  });
  return () => {
    const el = scroller.current;
    if (!on || !el) return;
    note(atEnd(el) || (stuck.current && !scrolledUp(el, placed.current)), el);
  };
}

const atEnd = (el) => el.scrollHeight - el.clientHeight - el.scrollTop <= BOTTOM_SLACK_PX;

/** Above where the list last placed itself, and not at the end: growth below is not this. */
const scrolledUp = (el, placed) => !atEnd(el) && el.scrollTop < placed - 1;
