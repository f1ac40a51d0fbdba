import test from "node:test";
import assert from "node:assert/strict";
import {
  base64ToBytes, bytesToBase64, cardForm, checkCardForm, estimateTokens, libraryParams,
  nextTagState, splitList, usageWords,
} from "../../webui/src/lib/personas.js";

test("a tag chip cycles off, include, exclude", () => {
  assert.equal(nextTagState(undefined), "include");
  assert.equal(nextTagState("include"), "exclude");
  assert.equal(nextTagState("exclude"), "off");
});

test("the toolbar becomes persona.list's params", () => {
  assert.deepEqual(libraryParams({}), { sort: "name" });
  assert.deepEqual(libraryParams({ query: " wren ", sort: "memories", favourites: true,
    tags: { sea: "include", dark: "exclude", old: "off" } }),
  { sort: "memories", query: "wren", tags_include: ["sea"], tags_exclude: ["dark"], favourite: true });
});

test("the card form fills the V2 fields and checks them", () => {
  const form = cardForm({ name: "Wren", character_book: { entries: [{ content: "", insertion_order: 1.5 }] } });
  assert.equal(form.first_mes, "");
  assert.deepEqual(form.alternate_greetings, []);
  const problems = checkCardForm({ ...form, name: " " });
  assert.ok(problems.name && problems["entry-0-content"] && problems["entry-0-insertion_order"]);
  assert.deepEqual(checkCardForm(cardForm({ name: "Wren" })), {});
});

test("helpers: tokens, lists, base64, usage", () => {
  assert.equal(estimateTokens("abcdefgh"), 2);
  assert.deepEqual(splitList("a, b ,, c"), ["a", "b", "c"]);
  const bytes = new Uint8Array([0, 1, 254, 255]);
  assert.deepEqual(base64ToBytes(bytesToBase64(bytes)), bytes);
  assert.equal(usageWords({ memories: 3, plugins: 1 }), "3 memories, 1 enabled plugins' state");
  assert.equal(usageWords({ memories: null }), "memories not counted yet");
});

test("imports go in batches under the message limit, results merge", async () => {
  const { importBatches, mergeResults } = await import("../../webui/src/lib/personas.js");
  const sizes = (batches) => batches.map((b) => b.map((f) => f.size));
  assert.deepEqual(sizes(importBatches([{ size: 4 }, { size: 4 }, { size: 20 }, { size: 1 }], 10, 5)),
    [[4, 4], [20], [1]]);
  assert.equal(importBatches(Array.from({ length: 7 }, () => ({ size: 1 })), 100, 3).length, 3);
  const one = { items: [{ name: "a" }], imported: 1, skipped: 0 };
  assert.deepEqual(mergeResults(null, one), one);
  assert.equal(mergeResults(one, { items: [{ name: "b" }], imported: 0, skipped: 1 }).items.length, 2);
});
