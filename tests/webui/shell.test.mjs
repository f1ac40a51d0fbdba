// The app shell's pure parts: toasts, hints, theme, quick switcher, setting input, format.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_TOASTS, toastReducer } from "../../webui/src/lib/toast.js";
import { adviceFor } from "../../webui/src/lib/hints.js";
import { effectiveTheme } from "../../webui/src/lib/theme.js";
import { filterEntries, moveActive, switcherEntries } from "../../webui/src/lib/switcher.js";
import { parseSettingInput } from "../../webui/src/lib/settingsForm.js";
import { connectionState } from "../../webui/src/lib/connection.js";
import { formatTime } from "../../webui/src/lib/format.js";
import { progressPercent } from "../../webui/src/lib/tasks.js";
import { PAGES } from "../../webui/src/pages/index.js";

test("toasts: repeats are counted, the newest first, at most a few", () => {
  let list = [];
  const add = (id, title, message = "m") => { list = toastReducer(list, { type: "add", toast: { id, kind: "error", title, message } }); };
  add(1, "a"); add(2, "b"); add(3, "a");
  assert.deepEqual(list.map((t) => [t.title, t.count, t.id]), [["a", 2, 1], ["b", 1, 2]]);
  list = toastReducer(list, { type: "dismiss", id: 1 });
  assert.deepEqual(list.map((t) => t.title), ["b"]);
  for (let i = 0; i < 10; i++) add(10 + i, `t${i}`);
  assert.equal(list.length, MAX_TOASTS);
});

test("a hint from the core becomes what to do and the page that does it", () => {
  assert.deepEqual(adviceFor({ code: "not_found", data: { hint: "persona.list" } }),
    { text: "See the personas that exist.", href: "#/personas" });
  assert.deepEqual(adviceFor({ code: "not_found", data: { hint: "memory.reembed", persona: "p 1" } }).href,
    "#/memory/p%201");
  assert.equal(adviceFor({ code: "busy", data: null }).href, null);
  assert.match(adviceFor({ code: "busy", data: null }).text, /try again/);
  assert.deepEqual(adviceFor({ code: "weird", data: { hint: "no.such" } }), { text: "", href: null });
});

test("the theme follows the system unless one is chosen", () => {
  assert.equal(effectiveTheme("system", true), "dark");
  assert.equal(effectiveTheme("system", false), "light");
  assert.equal(effectiveTheme("light", true), "light");
  assert.equal(effectiveTheme("dark", false), "dark");
  assert.equal(effectiveTheme("bogus", true), "dark");
});

test("the switcher lists pages then personas, best matches first", () => {
  const entries = switcherEntries(PAGES, [{ id: "p1", name: "Ada Lovelace" }, { id: "p2", name: "Settler" }]);
  assert.equal(entries.length, PAGES.length + 2);
  assert.deepEqual(filterEntries(entries, "set").map((e) => e.label), ["Settings", "Settler"]);
  assert.deepEqual(filterEntries(entries, "love").map((e) => [e.label, e.hash]), [["Ada Lovelace", "#/personas/p1"]]);
  assert.deepEqual(filterEntries(entries, "tus").map((e) => e.label), ["Status"]);
  assert.deepEqual(filterEntries(entries, "zzz"), []);
  assert.equal(filterEntries(entries, "", 3).length, 3);
  assert.equal(moveActive(0, "ArrowUp", 3), 2);
  assert.equal(moveActive(2, "ArrowDown", 3), 0);
  assert.equal(moveActive(1, "End", 3), 2);
  assert.equal(moveActive(0, "ArrowDown", 0), -1);
});

test("setting input is checked before it is sent", () => {
  assert.deepEqual(parseSettingInput("int", " 12 ", 1), { ok: true, value: 12 });
  assert.match(parseSettingInput("int", "1.5").error, /whole number/);
  assert.match(parseSettingInput("int", "0", 1).error, /at least 1/);
  assert.deepEqual(parseSettingInput("float", "1e-3"), { ok: true, value: 0.001 });
  assert.match(parseSettingInput("float", "abc").error, /a number/);
  assert.match(parseSettingInput("float", "").error, /empty/);
  assert.deepEqual(parseSettingInput("bool", false), { ok: true, value: false });
  assert.deepEqual(parseSettingInput("str", ""), { ok: true, value: "" });
});

test("the shell's word on the connection wins until a call succeeds after it", () => {
  const shell = { state: "reconnecting", message: "the core stopped", at: 2000 };
  assert.deepEqual(connectionState(1000, null, 2500, 10_000, shell), { state: "reconnecting", message: "the core stopped" });
  assert.equal(connectionState(3000, null, 3500, 10_000, shell).state, "connected");
  assert.equal(connectionState(3000, null, 3500, 10_000, { ...shell, state: "connected" }).state, "connected");
});

test("times and progress for people", () => {
  const now = new Date(2026, 0, 2, 12, 0, 0).getTime();
  assert.equal(formatTime(new Date(2026, 0, 2, 9, 5, 7).getTime() / 1000, now), "09:05:07");
  assert.equal(formatTime(new Date(2025, 11, 31, 23, 59).getTime() / 1000, now), "2025-12-31 23:59");
  assert.equal(formatTime(null), "—");
  assert.equal(progressPercent(0.456), 46);
  assert.equal(progressPercent(null), null);
  assert.equal(progressPercent(3), 100);
});
