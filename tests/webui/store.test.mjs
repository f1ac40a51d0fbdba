import { test } from "node:test";
import assert from "node:assert/strict";
import { createListStore } from "../../webui/src/lib/store.js";
import { createRunningCount, createTaskStore } from "../../webui/src/lib/tasks.js";

/** A fake list method over `items`, recording each call; `hold` keeps replies until released. */
function fakeList(items, { fail = null } = {}) {
  const calls = [];
  const call = async (method, params) => {
    calls.push({ method, ...params });
    if (fail) throw fail;
    const { offset = 0, limit = 50, ...filters } = params;
    const matching = items.filter((it) => Object.entries(filters).every(([k, v]) => it[k] === v));
    return { items: matching.slice(offset, offset + limit), total: matching.length };
  };
  return { call, calls };
}

const range = (n) => Array.from({ length: n }, (_, i) => ({ id: `t${i}`, n: i, state: i % 2 ? "done" : "running" }));

test("ensure fetches the pages covering a range, once each", async () => {
  const { call, calls } = fakeList(range(1000));
  const store = createListStore({ call, method: "x.list", pageSize: 100 });
  assert.equal(store.snapshot().total, null);
  await store.ensure(0, 30);
  assert.deepEqual(calls, [{ method: "x.list", offset: 0, limit: 100 }]);
  assert.equal(store.snapshot().total, 1000);
  assert.equal(store.item(5).n, 5);
  assert.equal(store.item(150), undefined);
  await store.ensure(90, 210);
  assert.deepEqual(calls.map((c) => c.offset), [0, 100, 200]);
  await store.ensure(0, 250);
  assert.equal(calls.length, 3); // cached
  await Promise.all([store.ensure(500, 520), store.ensure(505, 510)]);
  assert.equal(calls.length, 4); // one call for two asks of the same page
  await store.ensure(990, 1100); // past the end: no call beyond total
  assert.deepEqual(calls.map((c) => c.offset), [0, 100, 200, 500, 900]);
});

test("params go with every page, and setParams starts over", async () => {
  const { call, calls } = fakeList(range(10));
  const store = createListStore({ call, method: "x.list", params: { state: "done" }, pageSize: 2 });
  await store.ensure(0, 4);
  assert.deepEqual(calls.map((c) => [c.state, c.offset]), [["done", 0], ["done", 2]]);
  assert.deepEqual(store.loaded().map((t) => t.n), [1, 3, 5, 7]);
  await store.setParams({ state: "running" });
  assert.deepEqual(store.loaded().map((t) => t.n), [0, 2, 4, 6]);
  assert.equal(calls.at(-1).state, "running");
});

test("only pages near the range asked for stay cached", async () => {
  const { call } = fakeList(range(10_000));
  const store = createListStore({ call, method: "x.list", pageSize: 10, maxPages: 4 });
  for (let start = 0; start < 2000; start += 10) await store.ensure(start, start + 10);
  const kept = store.loaded();
  assert.equal(kept.length, 40);
  assert.equal(kept.at(-1).n, 1999);
});

test("an event invalidates (once per burst) and fetches again what was in view", async () => {
  const items = range(5);
  const { call, calls } = fakeList(items);
  const timers = [];
  const store = createListStore({
    call, method: "x.list", topics: ["x."], setTimer: (fn) => timers.push(fn), clearTimer: () => {},
  });
  let handler = null;
  const detach = store.listen((prefix, fn) => { assert.equal(prefix, "x."); handler = fn; return () => { handler = null; }; });
  await store.ensure(0, 5);
  items.push({ id: "new", n: 99 });
  handler({ topic: "x.changed", data: {} });
  handler({ topic: "x.changed", data: {} });
  assert.equal(timers.length, 1);
  timers[0]();
  await new Promise((r) => setImmediate(r));
  assert.equal(store.snapshot().total, 6);
  assert.equal(calls.length, 2);
  detach();
  assert.equal(handler, null);
});

test("a reply that arrives after an invalidate is dropped", async () => {
  let release;
  const slow = new Promise((r) => { release = r; });
  let n = 0;
  const call = async () => {
    n += 1;
    if (n === 1) { await slow; return { items: [{ id: "old" }], total: 1 }; }
    return { items: [{ id: "new" }], total: 1 };
  };
  const store = createListStore({ call, method: "x.list" });
  const first = store.ensure(0, 1);
  await store.invalidate();
  release();
  await first;
  assert.deepEqual(store.loaded(), [{ id: "new" }]);
});

test("a failed page sets the error, rejects ensure, and the next success clears it", async () => {
  const failure = Object.assign(new Error("down"), { code: "timeout" });
  const fake = fakeList(range(3), { fail: failure });
  const store = createListStore({ call: (...a) => fake.call(...a), method: "x.list" });
  const seen = [];
  store.subscribe((snap) => seen.push(snap.loading));
  await assert.rejects(store.ensure(0, 3), /down/);
  assert.equal(store.snapshot().error, failure);
  assert.equal(store.snapshot().loading, false);
  assert.ok(seen.includes(true));
  const ok = fakeList(range(3));
  const retry = createListStore({ call: ok.call, method: "x.list" });
  await retry.ensure(0, 3);
  assert.equal(retry.snapshot().error, null);
});

test("tasks update in place from task.progress and task.done, without a call", async () => {
  const tasks = [{ id: "a", state: "running", progress: 0.1, message: "start" }];
  const { call, calls } = fakeList(tasks);
  const timers = [];
  const store = createTaskStore(call, { setTimer: (fn) => timers.push(fn), clearTimer: () => {} });
  await store.ensure(0, 10);
  store.handleEvent({ topic: "task.progress", data: { id: "a", state: "running", progress: 0.5, message: "half" } });
  assert.deepEqual(store.item(0), { id: "a", state: "running", progress: 0.5, message: "half" });
  store.handleEvent({ topic: "task.done", data: { id: "a", state: "cancelled", progress: 0.5, message: "stopped" } });
  assert.equal(store.item(0).state, "cancelled");
  assert.equal(calls.length, 1);
  assert.equal(timers.length, 0);
  store.handleEvent({ topic: "task.progress", data: { id: "b", state: "running", progress: 0 } });
  assert.equal(timers.length, 1); // a task it has not seen: the list is fetched again
});

test("the running count is fetched again only when a task starts or ends", async () => {
  const tasks = [{ id: "a", state: "running" }];
  const { call, calls } = fakeList(tasks);
  const timers = [];
  const store = createRunningCount(call, { setTimer: (fn) => timers.push(fn), clearTimer: () => {} });
  await store.ensure(0, 1);
  assert.equal(store.snapshot().total, 1);
  assert.deepEqual(calls[0], { method: "task.list", state: "running", offset: 0, limit: 1 });
  store.handleEvent({ topic: "task.progress", data: { id: "a", state: "running" } });
  assert.equal(timers.length, 1); // first sight
  timers.pop()();
  store.handleEvent({ topic: "task.progress", data: { id: "a", state: "running" } });
  store.handleEvent({ topic: "task.progress", data: { id: "a", state: "running" } });
  assert.equal(timers.length, 0); // nothing changed
  tasks[0].state = "done";
  store.handleEvent({ topic: "task.done", data: { id: "a", state: "done" } });
  assert.equal(timers.length, 1);
  timers.pop()();
  await new Promise((r) => setImmediate(r));
  assert.equal(store.snapshot().total, 0);
});

test("a persona's memory store ignores other personas' changes", async () => {
  const { createMemoryStore } = await import("../../webui/src/lib/resources.js");
  const { call, calls } = fakeList([{ id: "m1", persona: "p1" }]);
  const timers = [];
  const store = createMemoryStore(call, "p1", { setTimer: (fn) => timers.push(fn), clearTimer: () => {} });
  await store.ensure(0, 10);
  assert.deepEqual(calls[0], { method: "memory.list", persona: "p1", offset: 0, limit: 100 });
  store.handleEvent({ topic: "memory.changed", data: { persona: "p2" } });
  assert.equal(timers.length, 0);
  store.handleEvent({ topic: "memory.changed", data: { persona: "p1" } });
  assert.equal(timers.length, 1);
});

test("a kept setParams shows the old items until the new query's first page lands", async () => {
  const replies = [];
  const call = (method, params) => new Promise((resolve) => replies.push({ method, params, resolve }));
  const store = createListStore({ call, method: "memory.list", params: { persona: "p" }, pageSize: 4 });
  const first = store.ensure(0, 3);
  replies.shift().resolve({ items: ["a", "b", "c", "d"], total: 9 });
  await first;
  const done = store.setParams({ persona: "p", query: "tea" }, { keep: true, method: "memory.search", pageSize: 2 });
  const asked = replies.shift();
  assert.deepEqual([asked.method, asked.params], ["memory.search", { persona: "p", query: "tea", offset: 0, limit: 2 }]);
  assert.equal(replies.length, 1); // the rest of the range: page 1 of the search
  assert.deepEqual([store.item(0), store.snapshot().total, store.snapshot().method], ["a", 9, "memory.list"]);
  assert.equal(store.snapshot().loading, true);
  asked.resolve({ items: ["tea 1", "tea 2"], total: 5 });
  replies.shift().resolve({ items: ["tea 3", "tea 4"], total: 5 });
  await done;
  assert.deepEqual([store.item(0), store.item(3), store.item(4), store.snapshot().total], ["tea 1", "tea 4", undefined, 5]);
  assert.deepEqual([store.snapshot().method, store.snapshot().params], ["memory.search", { persona: "p", query: "tea" }]);
});

test("a kept query overtaken by the next is never shown", async () => {
  const replies = [];
  const call = (method, params) => new Promise((resolve) => replies.push({ params, resolve }));
  const store = createListStore({ call, method: "m", pageSize: 10 });
  const asked = [store.setParams({ q: "te" }, { keep: true }), store.setParams({ q: "tea" }, { keep: true })];
  const [old, latest] = replies;
  latest.resolve({ items: ["tea"], total: 1 });
  old.resolve({ items: ["te"], total: 1 });
  await Promise.all(asked);
  assert.deepEqual([store.item(0), store.snapshot().params], ["tea", { q: "tea" }]);
});
