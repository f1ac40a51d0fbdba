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

test("a tool call waits on its reply until decided; its record shows, then chat.done's", async () => {
  const { call } = fakeCall(0);
  const log = createChatStore({ call, conversation: C });
  await log.ensure(0, 10);
  log.appendSent({ message: message(0), reply: "r1" });
  const request = { conversation: C, message: "r1", call: "call_1", plugin: "text-stats", function: "count",
    arguments: { text: "One two." } };
  assert.equal(log.handleEvent({ topic: "chat.tool_request", data: request }), true);
  assert.deepEqual(log.pending(), [request]);
  assert.deepEqual(log.item(1).waiting, [request]);
  const record = { call: "call_1", plugin: "text-stats", function: "count", arguments: { text: "One two." },
    decision: "once", output: "{\"words\": 2}", error: null, hint: null };
  log.handleEvent({ topic: "chat.tool_result", data: { conversation: C, message: "r1", ...record } });
  assert.deepEqual(log.pending(), []);
  assert.deepEqual(log.item(1).tools, [record]);
  assert.deepEqual(log.item(1).waiting, []);
  log.handleEvent({ topic: "chat.done", data: { conversation: C, message: "r1", text: "Two words.", finish_reason: "stop",
    usage: null, tools: [record] } });
  assert.deepEqual(log.item(1).tools, [record]);
  assert.equal(log.item(1).streaming, undefined);
});

test("pending calls are listed when a conversation opens, dismissed, and cleared by chat.done", async () => {
  const { call } = fakeCall(2);
  const log = createChatStore({ call, conversation: C });
  await log.ensure(0, 10);
  const waiting = { conversation: C, message: "m1", call: "call_7", plugin: "p", function: "f", arguments: {} };
  log.setPending([waiting, { ...waiting, conversation: "other", call: "call_8" }]);
  assert.deepEqual(log.pending().map((r) => r.call), ["call_7"]);
  log.dismiss("call_7");
  assert.deepEqual(log.pending(), []);
  log.setPending([waiting]);
  log.handleEvent({ topic: "chat.done", data: { conversation: C, message: "m1", text: "", finish_reason: "cancelled", usage: null,
    tools: [{ ...waiting, decision: "cancelled", output: null, error: null, hint: null }] } });
  assert.deepEqual(log.pending(), []);
  assert.equal(outcomeWords(log.item(1).outcome), "stopped");
});

test("a reply being written when the page opened streams from its next delta", async () => {
  const { call } = fakeCall(2);
  const log = createChatStore({ call, conversation: C });
  await log.ensure(0, 10);
  log.resume("m1");
  assert.equal(log.snapshot().streaming, "m1");
  assert.equal(log.item(1).streaming, true);
  assert.equal(log.item(1).joined, true);
  log.handleEvent({ topic: "chat.delta", data: { conversation: C, message: "m1", delta: "…more" } });
  assert.equal(log.item(1).text, "…more");
  log.handleEvent({ topic: "chat.done", data: { conversation: C, message: "m1", text: "All of it…more", finish_reason: "stop", usage: null } });
  assert.equal(log.item(1).text, "All of it…more");
  assert.equal(log.snapshot().streaming, null);
  log.resume("m1"); // it ended meanwhile: nothing to resume
  assert.equal(log.snapshot().streaming, null);
});

test("a stored ending reads as the reply's outcome after a reload", async () => {
  const items = [message(0), message(1, { finish_reason: "length", error: null }),
    message(2), message(3, { finish_reason: "error", error: "HTTP 500" }), message(4), message(5, { finish_reason: "stop" })];
  const call = async (method, params) => ({ items: items.slice(params.offset, params.offset + params.limit), total: items.length });
  const log = createChatStore({ call, conversation: C });
  await log.ensure(0, 10);
  assert.match(outcomeWords(log.item(1).outcome), /token limit/);
  assert.deepEqual(log.item(3).outcome, { finish_reason: "error", error: "HTTP 500" });
  assert.deepEqual(log.outcome("m3"), { finish_reason: "error", error: "HTTP 500" });
  assert.equal(outcomeWords(log.item(5).outcome), "");
  assert.equal(log.item(0).outcome, undefined);
});

test("a slash command's result is appended with nothing streaming", async () => {
  const { call } = fakeCall(0);
  const log = createChatStore({ call, conversation: C });
  await log.ensure(0, 10);
  const system = { id: "s1", conversation: C, role: "system", text: "/text-stats count: {}", swipes: ["x"], swipe: 0,
    tools: [{ call: "", plugin: "text-stats", function: "count", arguments: {}, decision: "command", output: "{}", error: null, hint: null }] };
  log.appendSent({ message: message(0), reply: "s1", system });
  assert.equal(log.snapshot().total, 2);
  assert.equal(log.snapshot().streaming, null);
  assert.equal(log.item(1).id, "s1");
});

test("tool records in words and text: decisions, JSON, flat outputs, commands", async () => {
  const tools = await import("../../webui/src/lib/chatTools.js");
  assert.equal(tools.decisionWords("once"), "allowed once");
  assert.equal(tools.decisionWords("declined"), "declined");
  assert.equal(tools.decisionWords("granted"), "allowed: standing permission");
  assert.equal(tools.prettyJson({ a: [1] }), "{\n  \"a\": [\n    1\n  ]\n}");
  assert.equal(tools.prettyJson("{\"b\":2}"), "{\n  \"b\": 2\n}");
  assert.equal(tools.prettyJson("<img src=x onerror=alert(1)>"), "<img src=x onerror=alert(1)>"); // text, shown as text
  assert.equal(tools.hasArguments({}), false);
  assert.equal(tools.hasArguments({ text: "x" }), true);
  assert.deepEqual(tools.outputRows("{\"words\": 3, \"sentences\": 2}"), [["words", "3"], ["sentences", "2"]]);
  assert.equal(tools.outputRows("{\"nested\": {\"a\": 1}}"), null);
  assert.equal(tools.outputRows("[1, 2]"), null);
  assert.equal(tools.outputRows("plain text"), null);
  assert.equal(tools.recordTone({ output: "1", error: null }), "ok");
  assert.equal(tools.recordTone({ output: null, error: "boom" }), "bad");
  assert.equal(tools.recordTone({ output: null, error: null }), "off");
  const record = { plugin: "text-stats", function: "count", decision: "command" };
  assert.equal(tools.commandRecord({ role: "system", tools: [record] }), record);
  assert.equal(tools.commandRecord({ role: "assistant", tools: [record] }), null);
  assert.equal(tools.commandRecord({ role: "system", tools: [] }), null);
  assert.equal(tools.commandTitle(record), "/text-stats count");
});
