import { test } from "node:test";
import assert from "node:assert/strict";
import {
  compareRuns, countVerdicts, filterBenchmarks, formatFigure, groupMeansText, lowerIsBetter,
  machineMovedText, ratioText, runParams, targetText, verdictOf,
} from "../../webui/src/lib/perf.js";

const bench = (name, median, op = "<=", extra = {}) => ({
  name, unit: "µs", median, passed: true, error: null, not_run: null,
  target: { stat: "p50", op, value: 100 }, targets: [{ stat: "p50", op, value: 100 }], ...extra,
});

test("verdicts as the CLI's report says them", () => {
  assert.equal(verdictOf(bench("a", 1)), "pass");
  assert.equal(verdictOf(bench("a", 1, "<=", { passed: false })), "FAIL");
  assert.equal(verdictOf(bench("a", null, "<=", { error: "boom" })), "ERROR");
  assert.equal(verdictOf(bench("a", null, "<=", { not_run: "no data set" })), "unsupported here");
  assert.equal(verdictOf(bench("a", 1, "<=", { passed: null })), "no budget");
  assert.deepEqual(countVerdicts({ benchmarks: [bench("a", 1), bench("b", null, "<=", { not_run: "x" })] }),
    { pass: 1, FAIL: 0, ERROR: 0, "unsupported here": 1, "no budget": 0 });
});

test("two runs: slower only past 1.1, and a rate that drops is slower", () => {
  const run = { benchmarks: [bench("cost", 120), bench("same", 105), bench("rate", 80, ">="), bench("gone", null)] };
  const other = { benchmarks: [bench("cost", 100), bench("same", 100), bench("rate", 100, ">="), bench("gone", 5), bench("old", 7)] };
  const rows = Object.fromEntries(compareRuns(run, other).map((r) => [r.name, r]));
  assert.equal(rows.cost.verdict, "slower");
  assert.ok(Math.abs(rows.cost.ratio - 1.2) < 1e-9);
  assert.equal(rows.same.verdict, "same");
  assert.equal(rows.rate.verdict, "slower");
  assert.equal(rows.gone.verdict, "not comparable");
  assert.equal(rows.old.verdict, "not comparable");
  assert.equal(compareRuns(other, run).find((r) => r.name === "cost").verdict, "faster");
  assert.deepEqual(compareRuns(run, other).map((r) => r.name), ["cost", "same", "rate", "gone", "old"]);
});

test("figures and targets read well", () => {
  assert.equal(formatFigure(1234.5), "1235");
  assert.equal(formatFigure(12.345), "12.3");
  assert.equal(formatFigure(0.012345), "0.0123");
  assert.equal(formatFigure(null), "—");
  assert.equal(formatFigure(0), "0");
  assert.equal(targetText({ stat: "p50", op: "<=", value: 150 }, "µs"), "p50 ≤ 150 µs");
  assert.equal(targetText({ stat: "median", op: ">=", value: 15000 }, "pings/s"), "median ≥ 15000 pings/s");
});

test("the run form checks its input before it sends", () => {
  assert.deepEqual(runParams({ suite: "quick", mode: "all", chosen: new Set() }), { params: { suite: "quick" } });
  assert.deepEqual(runParams({ suite: "full", mode: "chosen", chosen: new Set(["rpc.roundtrip"]) }),
    { params: { suite: "full", only: ["rpc.roundtrip"] } });
  assert.match(runParams({ suite: "quick", mode: "chosen", chosen: new Set() }).error, /at least one/);
  assert.ok(runParams({ suite: "huge", mode: "all", chosen: new Set() }).error);
  assert.deepEqual(runParams({ suite: "memory", mode: "all", chosen: new Set() }), { params: { suite: "memory" } });
  const items = [{ name: "rpc.roundtrip", description: "a ping" }, { name: "cache.hot_get", description: "" }];
  assert.deepEqual(filterBenchmarks(items, "PING").map((b) => b.name), ["rpc.roundtrip"]);
  assert.equal(filterBenchmarks(items, " ").length, 2);
});

test("the core's comparison reads as text; the direction comes from the run", () => {
  assert.equal(ratioText({ ratio: 1.2345, ci_low: 1.1, ci_high: 1.4 }), "1.23× (1.10–1.40)");
  assert.equal(ratioText({ ratio: 0.9, ci_low: null, ci_high: null }), "0.90×");
  assert.equal(ratioText({ ratio: null }), "—");
  assert.equal(groupMeansText({ rpc: 1.02, cache: 0.97 }), "cache 0.970×, rpc 1.020×");
  assert.equal(groupMeansText({}), "—");
  assert.equal(machineMovedText({ ipc_ratio: null, ipc_tolerance: 1.25 }), "");
  assert.match(machineMovedText({ ipc_ratio: 1.1, ipc_tolerance: 1.25 }), /held steady: .* moved 1\.10× \(within 1\.25×\)/);
  assert.match(machineMovedText({ ipc_ratio: 1.6, ipc_tolerance: 1.25 }), /moved: .* was 1\.60× in this run .* held back as unsure/);
  assert.match(machineMovedText({ ipc_ratio: 0.7, ipc_tolerance: 1.25 }), /moved: .* was 0\.70×/);
  assert.equal(lowerIsBetter({ better: "higher", target: null }), false);
  assert.equal(lowerIsBetter({ better: "lower", target: { op: ">=" } }), true);
});
