import { test } from "node:test";
import assert from "node:assert/strict";
import { firstLine, formatMB, formatPercent, formatUptime, MISSING } from "../../webui/src/lib/format.js";

test("uptime under a minute is seconds alone", () => {
  assert.equal(formatUptime(0), "0 s");
  assert.equal(formatUptime(12), "12 s");
  assert.equal(formatUptime(59.99), "59 s");
});

test("uptime pads the smaller units to two digits", () => {
  assert.equal(formatUptime(60), "1 min 00 s");
  assert.equal(formatUptime(187), "3 min 07 s");
  assert.equal(formatUptime(3725), "1 h 02 min 05 s");
  assert.equal(formatUptime(86399), "23 h 59 min 59 s");
});

test("uptime of days names the days", () => {
  assert.equal(formatUptime(2 * 86400 + 3 * 3600 + 4 * 60 + 5), "2 d 03 h 04 min 05 s");
});

test("a missing or negative uptime is a dash", () => {
  for (const bad of [undefined, null, NaN, -1, Infinity, "12"]) assert.equal(formatUptime(bad), MISSING);
});

test("RSS is megabytes of 2^20 bytes with one decimal", () => {
  assert.equal(formatMB(88_394_957), "84.3 MB");
  assert.equal(formatMB(0), "0.0 MB");
  assert.equal(formatMB(1024 * 1024), "1.0 MB");
  assert.equal(formatMB(5 * 1024 ** 3), "5120.0 MB");
  assert.equal(formatMB(undefined), MISSING);
  assert.equal(formatMB(-5), MISSING);
});

test("percentages keep one decimal", () => {
  assert.equal(formatPercent(12.345), "12.3 %");
  assert.equal(formatPercent(0), "0.0 %");
  assert.equal(formatPercent(null), MISSING);
});

test("firstLine skips blank lines and trims", () => {
  assert.equal(firstLine("\n   Add one memory.  \n\nMore text."), "Add one memory.");
  assert.equal(firstLine(""), "");
  assert.equal(firstLine(null), "");
});
