import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createDeleteQueue, highlightParts, localToSeconds, matchedWords, nextSearch, parseFilter,
  parseImportance, parseMetadata, queryWords,
} from "../../webui/src/lib/memoryView.js";

test("query words are distinct, lowercased, longest first", () => {
  assert.deepEqual(queryWords("Ada ada loves  tea!"), ["loves", "ada", "tea"]);
  assert.deepEqual(queryWords("  "), []);
});

test("highlighting splits the text into parts that give it back", () => {
  const text = "Ada drinks tea; <b>TEA</b> at teatime";
  const parts = highlightParts(text, "tea ada");
  assert.equal(parts.map((p) => p.text).join(""), text);
  assert.deepEqual(parts.filter((p) => p.match).map((p) => p.text), ["Ada", "tea", "TEA", "tea"]);
  assert.deepEqual(highlightParts("plain", ""), [{ text: "plain", match: false }]);
  assert.deepEqual(highlightParts("a (b)", "(b"), [{ text: "a (", match: false }, { text: "b", match: true }, { text: ")", match: false }]);
});

test("matched words are the query's words found in the text", () => {
  assert.deepEqual(matchedWords("Ada drinks tea", "tea coffee Ada"), ["tea", "ada"]);
  assert.deepEqual(matchedWords("nothing here", "tea"), []);
});

test("the metadata filter is key=value pairs, typed", () => {
  assert.deepEqual(parseFilter("topic=food, rating=5; ok=true, n=null, s=\"5\""),
    { value: { topic: "food", rating: 5, ok: true, n: null, s: "5" } });
  assert.deepEqual(parseFilter(""), { value: null });
  assert.match(parseFilter("topic").error, /not key=value/);
  assert.match(parseFilter("=x").error, /not key=value/);
});

test("metadata and importance are checked before they are sent", () => {
  assert.deepEqual(parseMetadata('{"a": 1}'), { value: { a: 1 } });
  assert.deepEqual(parseMetadata(""), { value: {} });
  assert.match(parseMetadata("[1]").error, /JSON object/);
  assert.match(parseMetadata("{a").error, /not JSON/);
  assert.deepEqual(parseImportance("0.7"), { value: 0.7 });
  for (const bad of ["", "x", "-0.1", "1.5"]) assert.ok(parseImportance(bad).error);
});

test("datetime-local values are epoch seconds", () => {
  assert.equal(localToSeconds(""), null);
  assert.equal(localToSeconds("nonsense"), null);
  assert.equal(localToSeconds("2026-01-02T03:04"), new Date("2026-01-02T03:04").getTime() / 1000);
});

test("a delete is sent when its undo window ends, never after an undo", async () => {
  const timers = new Map();
  let id = 0;
  const sent = [];
  const queue = createDeleteQueue({
    send: async (ids) => { sent.push(ids); },
    setTimer: (fn) => { timers.set(++id, fn); return id; },
    clearTimer: (t) => timers.delete(t),
  });
  const first = queue.schedule(["a"]);
  const second = queue.schedule(["b", "c"]);
  assert.ok(queue.pending("a") && queue.pending("c"));
  assert.equal(queue.undo(first), true);
  assert.equal(queue.pending("a"), false);
  assert.equal(timers.size, 1);
  [...timers.values()][0]();
  assert.deepEqual(sent, [["b", "c"]]);
  assert.equal(queue.undo(second), false);
  queue.schedule(["d"]);
  await queue.flush();
  assert.deepEqual(sent, [["b", "c"], ["d"]]);
  assert.equal(queue.size(), 0);
});

test("a search goes at once unless one is in flight, and only the latest goes after", () => {
  const first = { persona: "p", query: "tea", mode: "hybrid" };
  const latest = { persona: "p", query: "teapot", mode: "hybrid" };
  assert.deepEqual(nextSearch(first, null, false), { params: first }); // nothing in flight
  assert.equal(nextSearch(latest, first, true), null); // "tea" still in flight: wait
  assert.deepEqual(nextSearch(latest, first, false), { params: latest }); // back: the latest
  assert.equal(nextSearch({ ...latest }, latest, false), null); // already applied
  assert.deepEqual(nextSearch(null, latest, false), { params: null }); // emptied: the list
  assert.equal(nextSearch(null, null, true), null);
});
