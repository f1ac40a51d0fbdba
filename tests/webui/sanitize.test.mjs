// The sanitizer without a DOM (node): Markdown falls back to escaped text, never raw HTML.
// With a DOM (the real window), tests/e2e/test_shell.py checks DOMPurify's own work.
import { test } from "node:test";
import assert from "node:assert/strict";
import { escapeHtml, markdownToHtml, sanitizeHtml } from "../../webui/src/lib/sanitize.js";

const HOSTILE = [
  '<img src=x onerror="alert(1)">',
  "[click](javascript:alert(1))",
  "<script>alert(1)</script>",
  '<a href="javascript:alert(1)">x</a>',
];

test("escapeHtml escapes the five metacharacters", () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`),
    "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  assert.equal(escapeHtml(null), "");
});

test("without a DOM, hostile Markdown comes back as inert text", () => {
  for (const text of HOSTILE) {
    for (const out of [markdownToHtml(text), sanitizeHtml(text)]) {
      assert.ok(!/<img|<script|<a /i.test(out), out);
      assert.ok(!out.includes("<"), out);
    }
  }
});
