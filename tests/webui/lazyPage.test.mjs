import { test } from "node:test";
import assert from "node:assert/strict";
import { lazyPage, preloadLater } from "../../webui/src/lib/lazyPage.js";

test("a lazy page loads its module once, and again only after a failure", async () => {
  let loads = 0;
  let fail = true;
  const Page = lazyPage(async () => {
    loads += 1;
    if (fail) throw new Error("offline");
    return { ChatPage: () => "chat" };
  }, "ChatPage");
  await assert.rejects(Page.preload(), /offline/);
  fail = false;
  const [a, b] = await Promise.all([Page.preload(), Page.preload()]);
  assert.equal(a, b);
  assert.equal(a(), "chat");
  assert.equal(loads, 2); // the failed load, then one for both callers
});

test("a module without the page's export is an error, not a blank page", async () => {
  const Page = lazyPage(async () => ({ Other: () => null }), "ChatPage");
  await assert.rejects(Page.preload(), /no ChatPage/);
});

test("pages preload only after the start-up is done and the delay has passed", async () => {
  const preloaded = [];
  const pages = ["chat", "memory"].map((id) => ({ Page: { preload: async () => { preloaded.push(id); } } }));
  pages.push({ Page: () => null }); // an eager page: nothing to preload
  let started;
  const timers = [];
  preloadLater(pages, new Promise((resolve) => { started = resolve; }), {
    setTimer: (fn, ms) => timers.push({ fn, ms }), idle: (fn) => fn(),
  });
  await Promise.resolve();
  assert.equal(timers.length, 0); // not before the start-up
  started();
  await Promise.resolve();
  await Promise.resolve();
  assert.deepEqual(timers.map((t) => t.ms), [1000]);
  timers[0].fn();
  assert.deepEqual(preloaded, ["chat", "memory"]);
});
