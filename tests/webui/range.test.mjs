import { test } from "node:test";
import assert from "node:assert/strict";
import { visibleRange } from "../../webui/src/lib/range.js";

test("the first screen plus overscan below", () => {
  assert.deepEqual(visibleRange(0, 100, 1000, 10), { start: 0, end: 13 });
});

test("a scrolled screen gets overscan on both sides", () => {
  assert.deepEqual(visibleRange(500, 100, 1000, 10), { start: 47, end: 63 });
});

test("a partly visible row at the top is included", () => {
  assert.deepEqual(visibleRange(505, 100, 1000, 10, 0), { start: 50, end: 61 });
});

test("an empty list has an empty range", () => {
  assert.deepEqual(visibleRange(0, 100, 0, 10), { start: 0, end: 0 });
  assert.deepEqual(visibleRange(300, 100, 0, 10), { start: 0, end: 0 });
});

test("a list shorter than the viewport is shown whole", () => {
  assert.deepEqual(visibleRange(0, 500, 7, 20), { start: 0, end: 7 });
});

test("a scrollTop past the end shows the last screen", () => {
  assert.deepEqual(visibleRange(1e9, 100, 1000, 10, 0), { start: 990, end: 1000 });
  assert.deepEqual(visibleRange(1e9, 100, 5, 10), { start: 0, end: 5 });
});

test("a negative scrollTop counts as the top", () => {
  assert.deepEqual(visibleRange(-50, 100, 1000, 10, 0), { start: 0, end: 10 });
});

test("nonsense sizes give an empty or whole-top range, never NaN", () => {
  assert.deepEqual(visibleRange(0, 100, 50, 0), { start: 0, end: 0 });
  assert.deepEqual(visibleRange(NaN, NaN, 50, 10, NaN), { start: 0, end: 0 });
  assert.deepEqual(visibleRange(0, 100, -3, 10), { start: 0, end: 0 });
  assert.deepEqual(visibleRange(undefined, 100, 50, 10, 0), { start: 0, end: 10 });
});

// A seeded generator, so a failure names a reproducible case.
function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomCase(random) {
  const pick = (values) => values[Math.floor(random() * values.length)];
  const count = pick([0, 1, 2, 3, 10, 999, 100_000, Math.floor(random() * 5000)]);
  const rowHeight = pick([1, 17, 24, 48, 33.5, 1 + random() * 80]);
  const viewport = pick([0, 1, 240, 600, 1080.5, random() * 3000]);
  const content = count * rowHeight;
  const scrollTop = pick([0, -10, content, content + 500, random() * (content + 100)]);
  const overscan = pick([0, 1, 3, 10]);
  return { scrollTop, viewport, count, rowHeight, overscan };
}

test("invariants hold for many random lists", () => {
  const random = mulberry32(20261121);
  for (let i = 0; i < 20_000; i++) {
    const c = randomCase(random);
    const { start, end } = visibleRange(c.scrollTop, c.viewport, c.count, c.rowHeight, c.overscan);
    const where = JSON.stringify({ ...c, start, end });
    assert.ok(Number.isInteger(start) && Number.isInteger(end), where);
    assert.ok(0 <= start && start <= end && end <= c.count, where);
    // The rows rendered cover what the viewport shows once the browser clamps scrollTop.
    const content = c.count * c.rowHeight;
    const top = Math.min(Math.max(c.scrollTop, 0), Math.max(0, content - c.viewport));
    if (c.count > 0) {
      assert.ok(start * c.rowHeight <= top, `top not covered: ${where}`);
      assert.ok(end * c.rowHeight >= Math.min(top + c.viewport, content), `bottom not covered: ${where}`);
    }
    // And no more than a screen plus the overscan: the DOM stays small whatever the count.
    const most = Math.ceil(c.viewport / c.rowHeight) + 1 + 2 * c.overscan;
    assert.ok(end - start <= most, `too many rows: ${where}`);
  }
});
