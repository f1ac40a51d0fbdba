// Copies the vendored browser files out of node_modules into webui/vendor/.
// Run `npm install && npm run vendor` after changing a version in package.json;
// running the app or the tests never needs node_modules. Prints each file's SHA-256 for
// webui/vendor/README.md.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const vendor = join(root, "webui", "vendor");

// [package, file inside the package, name in webui/vendor/]
const FILES = [
  ["htm", "preact/standalone.module.js", "preact-htm.module.js"],
  ["htm", "LICENSE", "LICENSE-htm"],
  ["uplot", "dist/uPlot.esm.js", "uplot/uPlot.esm.js"],
  ["uplot", "dist/uPlot.min.css", "uplot/uPlot.min.css"],
  ["uplot", "LICENSE", "uplot/LICENSE"],
  // virtual-core's ES build is five modules importing each other by relative path.
  ...["index", "utils", "lazy-measurements", "scroll-classifier", "ios-gesture"].map(
    (name) => ["@tanstack/virtual-core", `dist/esm/${name}.js`, `virtual-core/${name}.js`]),
  ["@tanstack/virtual-core", "LICENSE", "virtual-core/LICENSE"],
  ["marked", "lib/marked.esm.js", "marked/marked.esm.js"],
  ["marked", "LICENSE", "marked/LICENSE"],
  ["dompurify", "dist/purify.es.mjs", "dompurify/purify.es.mjs"],
  ["dompurify", "LICENSE", "dompurify/LICENSE"],
];

function installedVersion(pkg) {
  const manifest = join(root, "node_modules", pkg, "package.json");
  return JSON.parse(readFileSync(manifest, "utf8")).version;
}

function expectedVersion(pkg) {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  return manifest.devDependencies[pkg];
}

function copy([pkg, from, to]) {
  const have = installedVersion(pkg);
  if (have !== expectedVersion(pkg)) {
    throw new Error(`node_modules has ${pkg}@${have} but package.json pins ` +
      `${expectedVersion(pkg)}; run \`npm install\` first`);
  }
  const target = join(vendor, to);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(root, "node_modules", pkg, from), target);
  const sha = createHash("sha256").update(readFileSync(target)).digest("hex");
  console.log(`${pkg}@${have}: ${from} -> webui/vendor/${to}  sha256 ${sha}`);
}

mkdirSync(vendor, { recursive: true });
FILES.forEach(copy);
console.log("Update webui/vendor/README.md if a version changed.");
