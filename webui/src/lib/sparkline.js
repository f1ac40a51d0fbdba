// Geometry of a sparkline: values to SVG polyline points, kept pure for tests.

/** Keeps the last `limit` items of `list` after appending `value` (a new array). */
export function pushBounded(list, value, limit) {
  const next = list.concat([value]);
  return next.length > limit ? next.slice(next.length - limit) : next;
}

/**
 * "x,y x,y …" for a polyline of `values` in a `width` × `height` box, oldest at the left,
 * the range scaled to fill the height (a flat series is drawn across the middle).
 */
export function sparklinePoints(values, width, height, pad = 2) {
  const ys = values.filter(Number.isFinite);
  if (ys.length === 0) return "";
  const low = Math.min(...ys);
  const span = Math.max(...ys) - low;
  const step = ys.length > 1 ? (width - 2 * pad) / (ys.length - 1) : 0;
  const y = (v) => (span === 0 ? height / 2 : height - pad - ((v - low) / span) * (height - 2 * pad));
  return ys.map((v, i) => `${round(pad + i * step)},${round(y(v))}`).join(" ");
}

const round = (n) => Math.round(n * 10) / 10;
