// The other pure parts of the UI: sparkline geometry, connection state, error list, filter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { pushBounded, sparklinePoints } from "../../webui/src/lib/sparkline.js";
import { connectionState } from "../../webui/src/lib/connection.js";
import { HubError } from "../../webui/src/bridge.js";
import { filterMethods } from "../../webui/src/components/MethodsPanel.js";

test("pushBounded keeps the newest values", () => {
  let list = [];
  for (let i = 0; i < 100; i++) list = pushBounded(list, i, 60);
  assert.equal(list.length, 60);
  assert.equal(list[0], 40);
  assert.equal(list.at(-1), 99);
});

test("sparkline points span the box, low values at the bottom", () => {
  assert.equal(sparklinePoints([], 100, 20), "");
  assert.equal(sparklinePoints([1, 3], 100, 20, 0), "0,20 100,0");
  assert.equal(sparklinePoints([5, 5, 5], 100, 20, 0), "0,10 50,10 100,10");
  assert.equal(sparklinePoints([7], 100, 20, 2), "2,10");
});

test("connected only while a call succeeded in the last 10 s", () => {
  const error = new HubError("timeout", "no reply");
  assert.deepEqual(connectionState(1000, null, 11_000), { state: "connected", message: "" });
  assert.equal(connectionState(1000, null, 11_001).state, "disconnected");
  assert.deepEqual(connectionState(null, error, 5), { state: "disconnected", message: "timeout: no reply" });
  assert.equal(connectionState(null, null, 5).message, "waiting for the core");
});

test("the methods filter looks in names and docs, ignoring case", () => {
  const items = [{ name: "system.ping", doc: "Answer at once." }, { name: "memory.add", doc: "Add a MEMORY." },
    { name: "odd", doc: null }];
  assert.equal(filterMethods(items, "").length, 3);
  assert.deepEqual(filterMethods(items, "MEMORY").map((m) => m.name), ["memory.add"]);
  assert.deepEqual(filterMethods(items, " at once ").map((m) => m.name), ["system.ping"]);
});
