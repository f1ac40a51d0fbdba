import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_PAGE, ROUTES, formatRoute, parseRoute } from "../../webui/src/lib/router.js";
import { PAGES } from "../../webui/src/pages/index.js";

test("every deep link of docs/protocol.md parses", () => {
  assert.deepEqual(parseRoute("#/chat/p1"), { page: "chat", params: { persona: "p1" } });
  assert.deepEqual(parseRoute("#/chat/p1/c2"), { page: "chat", params: { persona: "p1", conversation: "c2" } });
  assert.deepEqual(parseRoute("#/personas"), { page: "personas", params: {} });
  assert.deepEqual(parseRoute("#/personas/abc"), { page: "personas", params: { persona: "abc" } });
  assert.deepEqual(parseRoute("#/memory/abc"), { page: "memory", params: { persona: "abc" } });
  assert.deepEqual(parseRoute("#/performance/run-1"), { page: "performance", params: { run: "run-1" } });
  for (const page of ["plugins", "tasks", "dashboard", "performance", "settings", "status"]) {
    assert.deepEqual(parseRoute(`#/${page}`), { page, params: {} });
  }
});

test("an empty hash is the default page; slashes are forgiven", () => {
  assert.equal(DEFAULT_PAGE, "status");
  for (const hash of ["", "#", "#/", undefined, null]) assert.equal(parseRoute(hash).page, "status");
  assert.deepEqual(parseRoute("#tasks"), { page: "tasks", params: {} });
  assert.deepEqual(parseRoute("#/tasks/"), { page: "tasks", params: {} });
});

test("unknown pages, extra segments and bad escapes are not found", () => {
  assert.deepEqual(parseRoute("#/nowhere"), { page: "notfound", params: { path: "/nowhere" } });
  assert.equal(parseRoute("#/tasks/extra").page, "notfound");
  assert.equal(parseRoute("#/chat/a/b/c").page, "notfound");
  assert.equal(parseRoute("#/memory/%E0%A4%A").page, "notfound");
  assert.equal(parseRoute("#/chat//c").page, "notfound");
  assert.equal(parseRoute("#/constructor").page, "notfound");
  assert.equal(parseRoute("#/__proto__").page, "notfound");
});

test("formatRoute and parseRoute are inverses, for any id", () => {
  const ids = ["p1", "with space", "ünï/cödé", "a#b?c%d", "../x"];
  for (const id of ids) {
    const hash = formatRoute("chat", { persona: id, conversation: `${id}!` });
    assert.deepEqual(parseRoute(hash), { page: "chat", params: { persona: id, conversation: `${id}!` } });
  }
  assert.equal(formatRoute("memory", { persona: "x y" }), "#/memory/x%20y");
  assert.equal(formatRoute("chat", { conversation: "c" }), "#/chat"); // no persona: the path ends
  assert.throws(() => formatRoute("nowhere"), /no route/);
});

test("the nav lists the issue's pages in its order, each with a route", () => {
  assert.deepEqual(PAGES.map((p) => p.title),
    ["Chat", "Personas", "Memory", "Plugins", "Tasks", "Dashboard", "Performance", "Settings", "Status"]);
  assert.deepEqual(PAGES.map((p) => p.id), Object.keys(ROUTES));
});
