// Copies the vendored browser files out of node_modules into webui/vendor/.
// Run `npm install && npm run vendor` after changing a version in package.json;
// running the app or the tests never needs node_modules.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const vendor = join(root, "webui", "vendor");

// [package, file inside the package, name in webui/vendor/]
const FILES = [
  ["htm", "preact/standalone.module.js", "preact-htm.module.js"],
  ["htm", "LICENSE", "LICENSE-htm"],
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
  copyFileSync(join(root, "node_modules", pkg, from), join(vendor, to));
  console.log(`${pkg}@${have}: ${from} -> webui/vendor/${to}`);
}

mkdirSync(vendor, { recursive: true });
FILES.forEach(copy);
console.log("Update webui/vendor/README.md if a version changed.");
