// @tanstack/virtual-core's ES build reads `process.env.NODE_ENV`, which bundlers replace; with
// no build step the browser has no `process`, so the production value is provided here,
// before virtual.js imports the library. Node (the tests) has its own `process`.
if (typeof globalThis.process === "undefined") {
  globalThis.process = { env: { NODE_ENV: "production" } };
}
