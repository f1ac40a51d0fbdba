import { test } from "node:test";
import assert from "node:assert/strict";
import {
  alignHistory, applyAlert, cacheRows, createAlertBook, createRing, describeAlertFigure,
  historyMetrics, processNames, sampleValues, tierBytes, timeRange, timeTicks,
} from "../../webui/src/lib/dashboard.js";

const sample = (time, rss, extra = []) => ({
  time, processes: [{ name: "core", rss, cpu_percent: 2 }, ...extra],
  rpc: { requests_per_s: 5, latency_p50_us: 80, latency_p99_us: null }, gauges: { "cache.hit_rate": 0.5, "x.none": null },
});

test("a sample becomes monitor.history's metric names", () => {
  assert.deepEqual(sampleValues(sample(1, 100)), {
    "core.rss": 100, "core.cpu_percent": 2, "core.requests_per_s": 5, "core.latency_p50_us": 80, "cache.hit_rate": 0.5,
  });
});

test("the ring keeps at most its capacity, in place, and pads late metrics with nulls", () => {
  const ring = createRing(3);
  const times = ring.times;
  ring.push(1, { a: 1 });
  ring.push(2, { a: 2, b: 20 });
  assert.deepEqual(ring.cols.get("b"), [null, 20]);
  const shape = ring.shape;
  ring.push(3, { a: 3 });
  ring.push(4, { a: 4 });
  assert.equal(ring.times, times, "the same array, mutated");
  assert.deepEqual(ring.times, [2, 3, 4]);
  assert.deepEqual(ring.cols.get("a"), [2, 3, 4]);
  assert.deepEqual(ring.cols.get("b"), [20, null, null]);
  assert.equal(ring.shape, shape);
  ring.push(5, { a: 5 });
  assert.equal(ring.cols.has("b"), false, "a metric with no value in the window goes");
  assert.ok(ring.shape > shape);
  for (let i = 0; i < 1000; i += 1) ring.push(10 + i, { a: i });
  assert.equal(ring.times.length, 3);
  assert.equal(ring.cols.get("a").length, 3);
});

test("history is averaged onto one axis and trimmed to where the data is", () => {
  const table = alignHistory({ m: [[0, 1], [1, 3], [5, 10]], n: [[9.5, 7]], e: [] }, 0, 10, 5);
  assert.deepEqual(table.times, [1, 3, 5, 7, 9]);
  assert.deepEqual(table.cols.get("m"), [2, null, 10, null, null]);
  assert.deepEqual(table.cols.get("n"), [null, null, null, null, 7]);
  assert.equal(table.cols.has("e"), false);
  const late = alignHistory({ m: [[8, 1]] }, 0, 10, 5);
  assert.deepEqual(late.times, [9]);
});

test("processes: core, then the shell, then the rest by name", () => {
  const cols = new Map(["b@p.rss", "shell.rss", "core.rss", "a@p.rss", "core.requests_per_s", "a@p.cpu_percent"].map((m) => [m, []]));
  assert.deepEqual(processNames(cols, "rss"), ["core", "shell", "a@p", "b@p"]);
  assert.deepEqual(processNames(cols, "cpu_percent"), ["a@p"]);
  assert.deepEqual(historyMetrics(["core.rss", "core.uss", "system.available", "core.requests_per_s", "cache.hit_rate", "x.cpu_percent"]),
    ["core.rss", "core.requests_per_s", "cache.hit_rate", "x.cpu_percent"]);
});

test("alerts: raised are active, cleared move to a bounded list, newest first", () => {
  let book = createAlertBook(2);
  book = applyAlert(book, { id: "a", state: "raised", time: 1 });
  book = applyAlert(book, { id: "b", state: "raised", time: 2 });
  assert.deepEqual([...book.active.keys()], ["a", "b"]);
  book = applyAlert(book, { id: "a", state: "cleared", time: 3 });
  book = applyAlert(book, { id: "b", state: "cleared", time: 4 });
  book = applyAlert(book, { id: "a", state: "raised", time: 5 });
  book = applyAlert(book, { id: "a", state: "cleared", time: 6 });
  assert.deepEqual([...book.active.keys()], []);
  assert.deepEqual(book.cleared.map((a) => a.time), [6, 4]);
  assert.equal(applyAlert(book, null), book);
});

test("an alert's figure names the slope of a leak and the threshold", () => {
  assert.equal(describeAlertFigure({ kind: "leak", value: 2.5, unit: "MB/min", threshold: 1 }),
    "slope 2.50 MB/min (threshold 1.00 MB/min)");
  assert.equal(describeAlertFigure({ kind: "high", value: 612.4, unit: "MB", threshold: 512 }), "612 MB (threshold 512 MB)");
});

test("cache rows per namespace and bytes per tier", () => {
  const rows = cacheRows({ namespaces: {
    z: { hit_rate: 0.5, bytes: 10, tiers: { hot: { bytes: 4, hit_rate: 1 }, warm: { bytes: 6 } } },
    a: { hit_rate: null, bytes: 0, tiers: {} },
  } });
  assert.deepEqual(rows.map((r) => r.namespace), ["a", "z"]);
  assert.equal(rows[0].tiers.hot, null);
  assert.deepEqual(tierBytes(rows), { hot: 4, warm: 6, cold: 0 });
  assert.deepEqual(cacheRows(null), []);
});

test("the time axis spans at least the minute up to the latest point", () => {
  assert.deepEqual(timeRange(null, 1000, 1000), [940, 1000]); // one point
  assert.deepEqual(timeRange(null, 1000, 1000.2), [940.2, 1000.2]); // a page just opened
  assert.deepEqual(timeRange(null, 1000, 4600), [1000, 4600]); // an hour: as it is
});

test("time ticks read seconds, then hours and minutes, then dates, on one line each", () => {
  const t = Date.UTC(2026, 11, 3, 19, 3, 10) / 1000;
  assert.deepEqual(timeTicks([t], 10, "en-GB").map((s) => s.length), [8]); // 19:03:10 in UTC
  assert.equal(timeTicks([t], 10, "en-GB")[0].split(":").length, 3);
  assert.equal(timeTicks([t], 600, "en-GB")[0].split(":").length, 2);
  assert.match(timeTicks([t], 86400, "en-GB")[0], /Dec/);
  assert.ok(timeTicks([t, t + 10], 10).every((label) => !label.includes("\n")));
});
