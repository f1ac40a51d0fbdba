// The vendored files are the ones webui/vendor/README.md records (version pinned, SHA-256),
// and each library is imported by exactly one module of src/lib/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;
const readme = readFileSync(join(root, "webui/vendor/README.md"), "utf8");

test("every vendored file's SHA-256 is the one the README records", () => {
  const rows = [...readme.matchAll(/^\| `([^`]+)` \| `([0-9a-f]{64})` \|$/gm)];
  assert.ok(rows.length >= 10);
  for (const [, file, sha] of rows) {
    const digest = createHash("sha256").update(readFileSync(join(root, "webui/vendor", file))).digest("hex");
    assert.equal(digest, sha, file);
  }
});

test("package.json pins exact versions, and the README names them", () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  for (const [name, version] of Object.entries(pkg.devDependencies)) {
    assert.match(version, /^\d+\.\d+\.\d+$/, name);
    assert.ok(readme.includes(version), `${name} ${version} is not in webui/vendor/README.md`);
  }
});

test("only src/lib/ imports the vendored libraries, one module each", () => {
  const importers = new Map();
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).forEach((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return walk(path);
    if (!entry.name.endsWith(".js")) return;
    for (const [, lib] of readFileSync(path, "utf8").matchAll(/vendor\/([\w-]+)/g)) {
      importers.set(lib, [...(importers.get(lib) ?? []), path.slice(root.length)]);
    }
  });
  walk(join(root, "webui/src"));
  for (const [lib, files] of importers) {
    const unique = [...new Set(files)];
    assert.equal(unique.length, 1, `${lib} imported by ${unique}`);
    assert.match(unique[0], /^webui\/src\/lib\//);
  }
});
