import { test } from "node:test";
import assert from "node:assert/strict";
import {
  addKill, applyHostEvent, applySample, describePermissions, describeQuotas, hostKey, hostRows,
  hostsFromStatus, checkLowered, killReason, parseArgs, parseTimeout, resultText,
} from "../../webui/src/lib/plugins.js";

test("permissions are said in words, and their absence too", () => {
  assert.deepEqual(describePermissions({ memory_read: true, memory_write: false, network: false }),
    ["may read this persona's memory (search it)"]);
  assert.equal(describePermissions({}).length, 1);
  assert.match(describePermissions({})[0], /^none/);
  assert.equal(describePermissions({ memory_read: true, memory_write: true, network: true }).length, 3);
});

test("quotas are said in words with their units", () => {
  const words = describeQuotas({ memory_mb: 256, cpu_s: 5, wall_s: 10, processes: 0, open_files: 64, output_kb: 1024, disk_mb: 16 });
  assert.deepEqual(words, ["up to 256 MB of memory", "5 s of CPU per call", "10 s of wall time per call",
    "no processes of its own", "64 open files", "1 MB of output per call", "16 MB of scratch disk"]);
  assert.deepEqual(describeQuotas({ processes: 1, output_kb: 100 }), ["1 process of its own", "100 KB of output per call"]);
});

test("a kill's reason names the quota, the limit and the measured value", () => {
  assert.equal(killReason({ reason: "quota", quota: "memory_mb", limit: 64, measured: 76.9 }),
    "over its memory quota (memory_mb): limit 64 MB, measured 76.9 MB");
  assert.equal(killReason({ reason: "timeout" }), "took longer than its wall time");
  assert.equal(killReason({ reason: "signal" }), "crashed (killed by a signal)");
});

test("args must be a JSON object; empty is none", () => {
  assert.deepEqual(parseArgs(""), { ok: true, value: {} });
  assert.deepEqual(parseArgs('{"text": "Hi"}'), { ok: true, value: { text: "Hi" } });
  assert.equal(parseArgs("[1]").ok, false);
  assert.equal(parseArgs("null").ok, false);
  assert.match(parseArgs("{text:").error, /not valid JSON/);
});

test("a result is text as is, anything else indented JSON", () => {
  assert.equal(resultText("<b>hi</b>"), "<b>hi</b>");
  assert.equal(resultText({ words: 2 }), '{\n  "words": 2\n}');
});

test("hosts follow plugin events and monitor samples without mutating the old map", () => {
  const empty = hostsFromStatus([]);
  const started = applyHostEvent(empty, { topic: "plugin.started", time: 100, data: { persona: "p1", name: "x", pid: 42 } });
  assert.equal(empty.size, 0);
  const host = started.get(hostKey("p1", "x"));
  assert.equal(host.state, "idle");
  assert.equal(host.started_at, 100);
  const sampled = applySample(started, { processes: [{ pid: 42, role: "plugin", rss: 2048, cpu_percent: 12.5 }, { pid: 1, role: "core", rss: 1 }] });
  assert.equal(sampled.get(hostKey("p1", "x")).rss, 2048);
  assert.equal(applySample(sampled, { processes: [{ pid: 1, role: "core" }] }), sampled);
  const killed = applyHostEvent(sampled, { topic: "plugin.killed", time: 101, data: { persona: "p1", name: "x", pid: 42, reason: "quota" } });
  assert.equal(killed.get(hostKey("p1", "x")).state, "killed");
  assert.equal(killed.get(hostKey("p1", "x")).kills, 1);
  assert.equal(applyHostEvent(killed, { topic: "plugin.log", data: { persona: "p1", name: "x" } }), killed);
  const stopped = applyHostEvent(killed, { topic: "plugin.stopped", data: { persona: "p2", name: "y", pid: 7, reason: "disabled" } });
  assert.equal(stopped.get(hostKey("p2", "y")).state, "disabled");
  const live = applyHostEvent(stopped, { topic: "plugin.started", time: 1, data: { persona: "p3", name: "z", pid: 9 } });
  assert.deepEqual(hostRows(live).map((h) => h.name), ["z", "x", "y"]);
});

test("the kill history keeps the newest first and is bounded", () => {
  let kills = [];
  for (let i = 0; i < 5; i += 1) kills = addKill(kills, { time: i, data: { name: `k${i}` } }, 3);
  assert.deepEqual(kills.map((k) => k.name), ["k4", "k3", "k2"]);
});

test("a call's wall time limit may only lower the quota", () => {
  assert.deepEqual(parseTimeout("", 10), { ok: true, value: null });
  assert.deepEqual(parseTimeout("2.5", 10), { ok: true, value: 2.5 });
  assert.match(parseTimeout("11", 10).error, /at most 10 s/);
  assert.equal(parseTimeout("0", 10).ok, false);
  assert.equal(parseTimeout("soon", 10).ok, false);
});

test("lowered quotas are whole numbers within the range and at most the plugin's own", () => {
  const own = { memory_mb: 64, cpu_s: 5, processes: 1 };
  assert.deepEqual(checkLowered({ memory_mb: "32", cpu_s: "5", processes: "" }, own), { ok: true, value: { memory_mb: 32 } });
  assert.deepEqual(checkLowered({ memory_mb: "65" }, own).errors, { memory_mb: "memory_mb can only be lowered: at most 64" });
  assert.deepEqual(checkLowered({ memory_mb: "8" }, own).errors, { memory_mb: "memory_mb must be at least 16" });
  assert.deepEqual(checkLowered({ cpu_s: "1.5" }, own).errors, { cpu_s: "cpu_s must be a whole number" });
  assert.deepEqual(checkLowered({ processes: "0" }, own), { ok: true, value: { processes: 0 } });
});
