// A fixed-row-height virtual list: a spacer as tall as all rows, and only the rows in
// range (lib/range.js) rendered, absolutely placed. The DOM size does not grow with items.
import { html, useState } from "../lib/preact.js";
import { visibleRange } from "../lib/range.js";

/** Props: items, rowHeight (px), height (px), renderRow(item, index), testid, getKey?. */
export function VirtualList({ items, rowHeight, height, renderRow, testid, getKey }) {
  const [scrollTop, setScrollTop] = useState(0);
  const { start, end } = visibleRange(scrollTop, height, items.length, rowHeight);
  const rows = [];
  for (let i = start; i < end; i++) {
    rows.push(html`
      <div class="vlist-row" role="listitem" key=${getKey ? getKey(items[i], i) : i}
           style=${`top:${i * rowHeight}px;height:${rowHeight}px`}>
        ${renderRow(items[i], i)}
      </div>`);
  }
  return html`
    <div class="vlist" role="list" data-testid=${testid} data-count=${items.length}
         style=${`height:${height}px`} onScroll=${(e) => setScrollTop(e.currentTarget.scrollTop)}>
      <div class="vlist-spacer" style=${`height:${items.length * rowHeight}px`}>${rows}</div>
    </div>`;
}
