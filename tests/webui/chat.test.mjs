import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createChatStore, exportName, outcomeWords, swipeState, usageWords,
} from "../../webui/src/lib/chatStore.js";

const C = "c1";

function message(n, extra = {}) {
  return { id: `m${n}`, conversation: C, role: n % 2 ? "assistant" : "user", text: `text ${n}`,
    swipes: [`text ${n}`], swipe: 0, created_at: n, memories: [], usage: null, ...extra };
}

/** A fake chat.messages over `count` messages; records the pages asked for. */
function fakeCall(count) {
  const calls = [];
  const all = Array.from({ length: count }, (_, n) => message(n));
  const call = async (method, params) => {
    assert.equal(method, "chat.messages");
    calls.push([params.offset, params.limit]);
    return { items: all.slice(params.offset, params.offset + params.limit), total: all.length };
  };
  return { call, calls, all };
}

test("pages are fetched by offset as they come into view, and far ones are dropped", async () => {
  const { call, calls } = fakeCall(5000);
  const log = createChatStore({ call, conversation: C, pageSize: 50, maxPages: 4 });
  await log.ensure(4990, 5000);
  assert.deepEqual(calls, [[4950, 50]]);
  assert.equal(log.snapshot().total, 5000);
  assert.equal(log.item(4999).id, "m4999");
  assert.equal(log.item(0), undefined);
  for (let start = 4900; start >= 4600; start -= 100) await log.ensure(start, start + 20);
  // Only the pages near the last range are kept: memory stays bounded.
  assert.equal(log.item(4999), undefined);
  assert.equal(log.item(4600).id, "m4600");
});

test("a reply is assembled from its deltas and finalized by chat.done", async () => {
  const { call } = fakeCall(2);
  const log = createChatStore({ call, conversation: C });
  await log.ensure(0, 10);
  const sent = { message: message(2), reply: "r1" };
  log.appendSent(sent);
  assert.equal(log.snapshot().total, 4);
  assert.equal(log.snapshot().streaming, "r1");
  assert.equal(log.item(3).streaming, true);
  for (const delta of ["Hel", "lo", " there"]) {
    assert.equal(log.handleEvent({ topic: "chat.delta", data: { conversation: C, message: "r1", delta } }), true);
  }
  assert.equal(log.item(3).text, "Hello there");
  // Another conversation's events are not ours.
  assert.equal(log.handleEvent({ topic: "chat.delta", data: { conversation: "c2", message: "r1", delta: "x" } }), false);
  const usage = { prompt_tokens: 42, completion_tokens: 3, ttft_ms: 12, tokens_per_s: 30 };
  log.handleEvent({ topic: "chat.done", data: { conversation: C, message: "r1", text: "Hello there", finish_reason: "stop", usage } });
  const done = log.item(3);
  assert.equal(done.streaming, undefined);
  assert.equal(done.text, "Hello there");
  assert.deepEqual(done.swipes, ["Hello there"]);
  assert.deepEqual(done.usage, usage);
  assert.equal(log.snapshot().streaming, null);
});

test("deltas and even chat.done that beat chat.send's reply are kept", async () => {
  const { call } = fakeCall(0);
  const log = createChatStore({ call, conversation: C });
  await log.ensure(0, 10);
  log.handleEvent({ topic: "chat.delta", data: { conversation: C, message: "r1", delta: "Hi" } });
  log.appendSent({ message: message(0), reply: "r1" });
  assert.equal(log.item(1).text, "Hi");
  log.handleEvent({ topic: "chat.done", data: { conversation: C, message: "r1", text: "Hi", finish_reason: "stop", usage: null } });
  assert.equal(log.item(1).text, "Hi");

  const quick = createChatStore({ call, conversation: C });
  await quick.ensure(0, 10);
  quick.handleEvent({ topic: "chat.done", data: { conversation: C, message: "r2", text: "Done already", finish_reason: "stop", usage: null } });
  quick.appendSent({ message: message(0), reply: "r2" });
  assert.equal(quick.item(1).text, "Done already");
  assert.equal(quick.snapshot().streaming, null);
});

test("a stopped or failed reply keeps its partial text and says how it ended", async () => {
  const { call } = fakeCall(0);
  const log = createChatStore({ call, conversation: C });
  await log.ensure(0, 10);
  log.appendSent({ message: message(0), reply: "r1" });
  log.handleEvent({ topic: "chat.delta", data: { conversation: C, message: "r1", delta: "Part" } });
  log.handleEvent({ topic: "chat.done", data: { conversation: C, message: "r1", text: "Part", finish_reason: "error", usage: null, error: "the server went away" } });
  assert.equal(log.item(1).text, "Part");
  assert.deepEqual(log.item(1).outcome, { finish_reason: "error", error: "the server went away" });
  assert.equal(outcomeWords(log.item(1).outcome), "failed");
  assert.equal(outcomeWords({ finish_reason: "cancelled" }), "stopped");
  assert.match(outcomeWords({ finish_reason: "length" }), /token limit/);
  assert.equal(outcomeWords({ finish_reason: "stop" }), "");
});

test("regenerate adds a swipe being written; swipes read as 2/2", async () => {
  const { call } = fakeCall(2);
  const log = createChatStore({ call, conversation: C });
  await log.ensure(0, 10);
  log.beginRegenerate("m1");
  assert.equal(log.item(1).streaming, true);
  assert.equal(log.item(1).text, "");
  log.handleEvent({ topic: "chat.delta", data: { conversation: C, message: "m1", delta: "Again" } });
  log.handleEvent({ topic: "chat.done", data: { conversation: C, message: "m1", text: "Again", finish_reason: "stop", usage: null } });
  const m = log.item(1);
  assert.deepEqual(m.swipes, ["text 1", "Again"]);
  assert.deepEqual(swipeState(m), { index: 2, count: 2, previous: 0, next: null });
  assert.equal(swipeState(log.item(0)), null); // a user message has no swipes to show
  log.replace({ ...m, swipe: 0, text: "text 1" });
  assert.deepEqual(swipeState(log.item(1)), { index: 1, count: 2, previous: null, next: 1 });
  log.beginRegenerate("m1");
  log.abandon("m1");
  assert.equal(log.snapshot().streaming, null);
});

test("refresh keeps the pages shown until the new ones are in, and drops those past the end", async () => {
  let count = 120;
  const all = Array.from({ length: count }, (_, n) => message(n));
  const waiting = [];
  let hold = false;
  const call = async (method, params) => {
    if (hold) await new Promise((resolve) => { waiting.push(resolve); });
    return { items: all.slice(params.offset, Math.min(count, params.offset + params.limit)), total: count };
  };
  const log = createChatStore({ call, conversation: C, pageSize: 50 });
  await log.ensure(90, 120);
  assert.equal(log.item(110).id, "m110");
  count = 90;
  hold = true;
  const done = log.refresh();
  assert.equal(log.item(110).id, "m110"); // still shown while the refetch runs
  while (waiting.length < 2) await new Promise((resolve) => setImmediate(resolve));
  hold = false;
  waiting.forEach((resolve) => resolve());
  await done;
  assert.equal(log.snapshot().total, 90);
  assert.equal(log.item(110), undefined);
});

test("usage, export names", () => {
  assert.equal(usageWords({ prompt_tokens: 42, completion_tokens: 5, ttft_ms: 120.4, tokens_per_s: 31.25 }),
    "42 → 5 tokens · first token 120 ms · 31.3 tok/s");
  assert.equal(usageWords({ prompt_tokens: 42, completion_tokens: 5, ttft_ms: null, tokens_per_s: null }), "42 → 5 tokens");
  assert.equal(usageWords(null), "");
  assert.equal(exportName("Chat with Ada (imported)"), "Chat_with_Ada_imported.jsonl");
  assert.equal(exportName(""), "chat.jsonl");
});

test("card macros read as the persona's and the user's names", async () => {
  const { withMacros } = await import("../../webui/src/lib/chatStore.js");
  assert.equal(withMacros("Hi {{user}}, I am {{Char}}!", { char: "Aqua", user: "Kazuma" }), "Hi Kazuma, I am Aqua!");
  assert.equal(withMacros("I am {{char}}", {}), "I am {{char}}");
});
