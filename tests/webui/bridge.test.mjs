import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import {
  call, choosePaths, EVENT_NAME, HubError, on, onSettled, ready, toHubError, topicMatches, unwrapEnvelope,
} from "../../webui/src/bridge.js";

test("an ok envelope gives its result, whatever it is", () => {
  assert.deepEqual(unwrapEnvelope({ ok: true, result: { pong: true } }), { pong: true });
  assert.equal(unwrapEnvelope({ ok: true, result: null }), null);
  assert.equal(unwrapEnvelope({ ok: true, result: 0 }), 0);
});

test("an error envelope throws a HubError with code, message and data", () => {
  const envelope = { ok: false, error: { code: "not_found", message: "no persona 'x'", data: { id: "x" } } };
  assert.throws(() => unwrapEnvelope(envelope, "persona.get"), (error) => {
    assert.ok(error instanceof HubError && error instanceof Error);
    assert.equal(error.name, "HubError");
    assert.equal(error.code, "not_found");
    assert.equal(error.message, "no persona 'x'");
    assert.deepEqual(error.data, { id: "x" });
    assert.equal(error.method, "persona.get");
    return true;
  });
});

test("an error without data has data null", () => {
  assert.throws(() => unwrapEnvelope({ ok: false, error: { code: "busy", message: "retry" } }),
    (error) => error.code === "busy" && error.data === null);
});

test("a malformed envelope is an internal error that keeps the envelope", () => {
  for (const bad of [undefined, null, 42, "ok", {}, { ok: true }, { ok: false }, { ok: false, error: {} },
    { result: 1 }]) {
    assert.throws(() => unwrapEnvelope(bad), (error) => {
      assert.equal(error.code, "internal");
      assert.match(error.message, /malformed reply/);
      assert.deepEqual(error.data, bad ?? null);
      return true;
    }, JSON.stringify(bad));
  }
});

test("a rejected pywebview call becomes an internal HubError naming the method", () => {
  const error = toHubError(new Error("boom"), "system.info");
  assert.equal(error.code, "internal");
  assert.match(error.message, /system\.info: boom/);
  assert.equal(toHubError("text", "m").message, "the shell failed to call m: text");
  const original = new HubError("timeout", "slow");
  assert.equal(toHubError(original), original);
});

test("topics match by prefix, as ZeroMQ subscriptions do", () => {
  assert.ok(topicMatches("monitor.", "monitor.sample"));
  assert.ok(topicMatches("monitor.sample", "monitor.sample"));
  assert.ok(topicMatches("", "task.done"));
  assert.ok(!topicMatches("monitor.", "memory.changed"));
  assert.ok(!topicMatches("monitor.sample", "monitor."));
  assert.ok(!topicMatches("", undefined));
});

// A stand-in for the browser window: an EventTarget, plus pywebview when "ready".
function fakeWindow(api) {
  const win = new EventTarget();
  if (api) win.pywebview = { api };
  globalThis.window = win;
  return win;
}

beforeEach(() => { delete globalThis.window; });

test("ready resolves at once when the api exists, else on pywebviewready", async () => {
  fakeWindow({ call: async () => ({ ok: true, result: 1 }) });
  await ready();
  const win = fakeWindow(null);
  let done = false;
  const waiting = ready().then(() => { done = true; });
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(done, false);
  // pywebview announces an api whose `call` arrives a moment later: not ready yet.
  win.pywebview = { api: {} };
  win.dispatchEvent(new Event("pywebviewready"));
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(done, false);
  win.pywebview.api.call = async () => ({ ok: true, result: 1 });
  await waiting;
  assert.equal(done, true);
});

test("call passes method and params and resolves to the result", async () => {
  const seen = [];
  fakeWindow({ call: async (method, params) => { seen.push([method, params]); return { ok: true, result: { n: 1 } }; } });
  assert.deepEqual(await call("memory.stats", { persona: "p" }), { n: 1 });
  assert.deepEqual(await call("system.ping"), { n: 1 });
  assert.deepEqual(seen, [["memory.stats", { persona: "p" }], ["system.ping", {}]]);
});

test("call waits for pywebviewready before calling", async () => {
  const win = fakeWindow(null);
  const pending = call("system.ping");
  win.pywebview = { api: { call: async () => ({ ok: true, result: "late" }) } };
  win.dispatchEvent(new Event("pywebviewready"));
  assert.equal(await pending, "late");
});

test("call rejects with the HubError of an error envelope", async () => {
  fakeWindow({ call: async () => ({ ok: false, error: { code: "invalid_params", message: "bad", data: "limit" } }) });
  await assert.rejects(call("persona.list", { limit: -1 }),
    (error) => error instanceof HubError && error.code === "invalid_params" && error.data === "limit");
});

test("call rejects with internal when the pywebview call itself rejects", async () => {
  fakeWindow({ call: async () => { throw new Error("js_api gone"); } });
  await assert.rejects(call("system.info"),
    (error) => error instanceof HubError && error.code === "internal" && /js_api gone/.test(error.message));
});

test("onSettled hears every outcome until unsubscribed", async () => {
  let answer = { ok: true, result: 1 };
  fakeWindow({ call: async () => answer });
  const outcomes = [];
  const off = onSettled((outcome) => outcomes.push(outcome));
  await call("a");
  answer = { ok: false, error: { code: "busy", message: "later" } };
  await call("b").catch(() => {});
  off();
  await call("c").catch(() => {});
  assert.deepEqual(outcomes.map((o) => [o.method, o.ok, o.error?.code ?? null]),
    [["a", true, null], ["b", false, "busy"]]);
  assert.ok(outcomes.every((o) => typeof o.time === "number"));
});

test("on routes events by topic prefix and unsubscribes", () => {
  const win = fakeWindow(null);
  const got = { monitor: [], all: [] };
  const offMonitor = on("monitor.", (event) => got.monitor.push(event.topic));
  const offAll = on("", (event) => got.all.push(event.topic));
  const send = (topic) => win.dispatchEvent(new CustomEvent(EVENT_NAME, { detail: { topic, time: 1, data: {} } }));
  send("monitor.sample");
  send("task.done");
  offMonitor();
  send("monitor.alert");
  offAll();
  send("monitor.sample");
  assert.deepEqual(got.monitor, ["monitor.sample"]);
  assert.deepEqual(got.all, ["monitor.sample", "task.done", "monitor.alert"]);
});

test("handlers get the whole event: topic, time and data", () => {
  const win = fakeWindow(null);
  let got = null;
  on("monitor.sample", (event) => { got = event; });
  const detail = { topic: "monitor.sample", time: 1700000000.5, data: { core: { rss: 1 } } };
  win.dispatchEvent(new CustomEvent(EVENT_NAME, { detail }));
  assert.deepEqual(got, detail);
});

test("choosePaths opens the shell's dialog and resolves to the chosen paths", async () => {
  const seen = [];
  fakeWindow({
    call: async () => ({ ok: true, result: null }),
    choose_paths: async (...args) => { seen.push(args); return { ok: true, result: { paths: ["/p/x.zip"] } }; },
  });
  assert.deepEqual(await choosePaths({ kind: "file", types: ["Plugins (*.zip)"] }), ["/p/x.zip"]);
  assert.deepEqual(seen, [["file", false, ["Plugins (*.zip)"]]]);
});

test("choosePaths rejects with the shell's error, or when the shell has no dialog", async () => {
  fakeWindow({ call: async () => ({ ok: true, result: null }),
    choose_paths: async () => ({ ok: false, error: { code: "busy", message: "not shown yet" } }) });
  await assert.rejects(choosePaths(), (error) => error.code === "busy");
  fakeWindow({ call: async () => ({ ok: true, result: null }) });
  await assert.rejects(choosePaths({ kind: "folder" }), /no file dialog/);
});
