// The virtual list's window as a pure function, so it can be tested without a DOM.

function finite(value, fallback = 0) {
  return Number.isFinite(value) ? value : fallback;
}

function clamp(value, low, high) {
  return Math.min(Math.max(value, low), high);
}

/**
 * Rows [start, end) to render for a list of `count` rows of `rowHeight` px seen through a
 * viewport of `viewportHeight` px scrolled to `scrollTop`, plus `overscan` rows each side.
 * A scrollTop past the end (the list shrank) is clamped to the last full screen.
 */
export function visibleRange(scrollTop, viewportHeight, count, rowHeight, overscan = 3) {
  const rows = Math.max(0, Math.floor(finite(count)));
  const height = finite(rowHeight);
  if (rows === 0 || height <= 0) return { start: 0, end: 0 };
  const viewport = Math.max(0, finite(viewportHeight));
  const extra = Math.max(0, Math.floor(finite(overscan)));
  const maxTop = Math.max(0, rows * height - viewport);
  const top = clamp(finite(scrollTop), 0, maxTop);
  const first = Math.floor(top / height);
  const last = Math.ceil((top + viewport) / height);
  const start = clamp(first - extra, 0, rows);
  return { start, end: clamp(last + extra, start, rows) };
}
