// Performance: run a suite (quick, full or a group; all or chosen benchmarks) as a task with
// live progress (task.progress / task.done), the past runs (perf.runs, paged), a run's report
// at #/performance/<run id> (perf.results) with a uPlot plot of each benchmark's samples and
// of its median over the runs (perf.history), and that run compared with another by the
// core's statistics (perf.compare: ratio, 95% interval, Mann-Whitney p, verdict).
import { html, useEffect, useState } from "../lib/preact.js";
import { call } from "../bridge.js";
import { useHubEvent } from "../lib/hooks.js";
import { formatRoute } from "../lib/router.js";
import { createListStore } from "../lib/store.js";
import { useListStore, useStoreSnapshot } from "../lib/useStore.js";
import { progressPercent } from "../lib/tasks.js";
import { showToast } from "../lib/toast.js";
import {
  SUITES, countVerdicts, filterBenchmarks, formatFigure, groupMeansText, machineMovedText,
  ratioText, runParams, targetText, verdictOf,
} from "../lib/perf.js";
import { VirtualList } from "../components/VirtualList.js";
import { PerformanceSamples } from "../components/PerformanceSamples.js";
import { PerformanceHistory } from "../components/PerformanceHistory.js";

const VERDICT_CLASS = {
  pass: "pill-ok", FAIL: "pill-failing", ERROR: "pill-failing", "unsupported here": "pill-unknown",
  "no budget": "pill-unknown", slower: "pill-failing", faster: "pill-ok", same: "pill-unknown",
  "not compared": "pill-unknown", unsure: "pill-degraded",
};

export function PerformancePage({ params }) {
  return params?.run ? html`<${RunReport} runId=${params.run} />` : html`<${PerformanceHome} />`;
}

function PerformanceHome() {
  const store = useListStore(() => createListStore({
    call, method: "perf.runs", pageSize: 50, topics: ["task.done"],
    onEvent: ({ data }) => data?.kind !== "perf", // only a finished perf run adds a run
  }), []);
  const snap = useStoreSnapshot(store);
  return html`
    <div class="page perf">
      <header class="page-head">
        <h2>Performance</h2>
        <p class="muted">Run the benchmarks, read their reports, compare runs.</p>
      </header>
      <${RunForm} />
      <section class="panel perf-runs" aria-labelledby="perf-runs-title">
        <div class="panel-head">
          <h3 id="perf-runs-title">Past runs</h3>
          <span class="muted" data-testid="perf-runs-count" aria-live="polite">
            ${snap?.total === null || snap?.total === undefined ? "loading…" : `${snap.total} ${snap.total === 1 ? "run" : "runs"}`}
          </span>
        </div>
        ${snap?.error && html`<p class="inline-error" role="alert">Could not list the runs: ${snap.error.message}</p>`}
        <${VirtualList} store=${store} rowHeight=${52} height=${360} label="Past runs" fit=${true}
                        testid="perf-runs" getKey=${(r) => r.run_id} renderRow=${RunRow}
                        empty=${html`<div class="empty" data-testid="perf-runs-empty">
                          ${snap?.total === null ? html`<p class="muted">Loading runs…</p>` : html`
                            <p><b>No runs yet.</b></p>
                            <p class="muted">Start one above: one chosen benchmark takes seconds; the quick suite a couple of minutes.</p>`}
                        </div>`} />
      </section>
    </div>`;
}

function RunRow(run) {
  if (!run) return html`<div class="perf-run-row placeholder-row" aria-busy="true">Loading…</div>`;
  if (run.error) {
    return html`<div class="perf-run-row" data-testid="perf-run-row"><code>${run.run_id}</code>
      <span class="inline-error">${run.error}</span></div>`;
  }
  return html`
    <div class="perf-run-row" data-testid="perf-run-row" data-run=${run.run_id}>
      <a href=${formatRoute("performance", { run: run.run_id })} class="perf-run-link"
         aria-label=${`Open run ${run.run_id}`}><code>${run.run_id}</code></a>
      <span class="muted">${formatIso(run.started_at)} · ${run.suite ?? (run.scale === 1 ? "full" : "custom")}${run.scale === 1 ? "" : ` at scale ${run.scale}`}${run.repeat > 1 ? ` ×${run.repeat}` : ""}</span>
      <span class="truncate muted perf-run-names" title=${run.benchmarks.join(", ")}>${run.benchmarks.join(", ")}</span>
      <span class="spacer"></span>
      <${VerdictCounts} counts=${{ pass: run.passed, FAIL: run.failed, ERROR: run.errors, "unsupported here": run.not_run }} />
    </div>`;
}

function VerdictCounts({ counts }) {
  return html`<span class="perf-counts">
    ${Object.entries(counts).filter(([, n]) => n > 0).map(([v, n]) => html`
      <span class=${`pill ${VERDICT_CLASS[v]}`}>${n} ${v}</span>`)}
  </span>`;
}

/** The form: suite, all or chosen benchmarks, start; then the run's live progress. */
function RunForm() {
  const [benchmarks, setBenchmarks] = useState(null);
  const [suite, setSuite] = useState("quick");
  const [mode, setMode] = useState("all");
  const [chosen, setChosen] = useState(() => new Set());
  const [filter, setFilter] = useState("");
  const [problem, setProblem] = useState(null);
  const [task, setTask] = useState(null); // {id, state, progress, message, result, error}
  const [starting, setStarting] = useState(false);

  useEffect(() => {
    call("perf.list").then((r) => setBenchmarks(r.items)).catch(() => setBenchmarks([]));
    // A run started elsewhere (the CLI, another window) shows its progress here too.
    call("task.list", { kind: "perf", state: "running", limit: 1 })
      .then((r) => { if (r.items[0]) setTask((t) => t ?? r.items[0]); }).catch(() => {});
  }, []);

  useHubEvent("task.", ({ topic, data }) => {
    if (data?.kind !== "perf") return;
    if (topic === "task.progress") {
      setTask((t) => (t && t.id !== data.id && !t.finished ? t : { ...(t?.id === data.id ? t : {}), ...data }));
    } else if (topic === "task.done") {
      setTask((t) => (t && t.id !== data.id ? t : { ...data, finished: true }));
      if (data.state === "done") {
        showToast({ kind: "ok", title: "Perf run finished", message: `${data.result.passed} passed, ${data.result.failed} failed, ${data.result.errors} errors, ${data.result.not_run} unsupported here.`,
          advice: { text: "Open the report", href: formatRoute("performance", { run: data.result.run_id }) } });
      }
    }
  });

  const toggle = (name) => setChosen((s) => {
    const next = new Set(s);
    if (next.has(name)) next.delete(name); else next.add(name);
    return next;
  });

  async function start(event) {
    event.preventDefault();
    const { params, error } = runParams({ suite, mode, chosen });
    setProblem(error ?? null);
    if (error) return;
    setStarting(true);
    try {
      const { task: id } = await call("perf.run", params);
      // Its events may have come first (a quick run can even be done): keep what they said.
      setTask((t) => (t?.id === id ? t : { id, kind: "perf", state: "queued", progress: 0, message: "queued" }));
    } catch {
      // toasted by the shell (a run already going says which task)
    } finally {
      setStarting(false);
    }
  }

  const running = task && !task.finished && ["queued", "running"].includes(task.state);
  const shown = filterBenchmarks(benchmarks ?? [], filter);
  return html`
    <section class="panel" aria-labelledby="perf-run-title">
      <div class="panel-head"><h3 id="perf-run-title">Run the suite</h3></div>
      <form class="perf-form" onSubmit=${start} aria-label="Run the performance suite">
        <fieldset class="perf-fieldset">
          <legend>Suite</legend>
          <select class="input select" aria-label="Suite" data-testid="perf-suite" value=${suite}
                  onChange=${(e) => setSuite(e.currentTarget.value)}>
            ${SUITES.map((s) => html`<option value=${s.name}>${s.label}</option>`)}
          </select>
        </fieldset>
        <fieldset class="perf-fieldset">
          <legend>Benchmarks</legend>
          <label><input type="radio" name="perf-mode" value="all" checked=${mode === "all"}
                        onChange=${() => setMode("all")} /> all ${benchmarks ? `(${benchmarks.length})` : ""}</label>
          <label><input type="radio" name="perf-mode" value="chosen" checked=${mode === "chosen"}
                        onChange=${() => setMode("chosen")} /> chosen ${chosen.size ? `(${chosen.size})` : ""}</label>
        </fieldset>
        ${mode === "chosen" && html`
          <div class="perf-choose">
            <input class="input" type="search" placeholder="Filter benchmarks" aria-label="Filter benchmarks"
                   value=${filter} onInput=${(e) => setFilter(e.currentTarget.value)} />
            ${benchmarks === null && html`<p class="muted">Loading the benchmarks…</p>`}
            <ul class="perf-bench-list" aria-label="Benchmarks to run" data-testid="perf-bench-list">
              ${shown.map((b) => html`
                <li>
                  <label class="perf-bench" title=${b.description}>
                    <input type="checkbox" checked=${chosen.has(b.name)} onChange=${() => toggle(b.name)}
                           aria-label=${b.name} />
                    <code>${b.name}</code>
                    <span class="muted truncate">${b.targets.length ? targetText(b.targets[0], b.unit) : "no budget"}</span>
                  </label>
                </li>`)}
              ${benchmarks && shown.length === 0 && html`<li class="muted">No benchmark matches.</li>`}
            </ul>
          </div>`}
        ${problem && html`<p class="inline-error" role="alert" data-testid="perf-form-error">${problem}</p>`}
        <div class="toolbar">
          <button class="button primary" type="submit" disabled=${starting || running}
                  data-testid="perf-start">${running ? "A run is going…" : starting ? "Starting…" : "Start the run"}</button>
        </div>
      </form>
      ${task && html`<${RunProgress} task=${task} />`}
    </section>`;
}

function RunProgress({ task }) {
  const percent = progressPercent(task.finished && task.state === "done" ? 1 : task.progress);
  const cancel = () => call("task.cancel", { id: task.id }).catch(() => {});
  const active = !task.finished && ["queued", "running"].includes(task.state);
  return html`
    <div class="perf-progress" data-testid="perf-progress" data-state=${task.state} data-task=${task.id}>
      <div class="task-progress">
        <div class="progress" role="progressbar" aria-label="Progress of the perf run"
             aria-valuemin="0" aria-valuemax="100" aria-valuenow=${percent ?? undefined}
             aria-valuetext=${percent === null ? "unknown" : `${percent}%`}>
          <div class="progress-bar" style=${`width:${percent ?? 0}%`}></div>
        </div>
        <span class="muted">${percent === null ? "" : `${percent}%`}</span>
      </div>
      <p class="perf-progress-line" aria-live="polite">
        <span class=${`pill state-${task.state}`}>${task.state}</span>
        <span data-testid="perf-progress-message">${task.state === "failed" && task.error
          ? `${task.error.code}: ${task.error.message}` : task.message || ""}</span>
        ${task.finished && task.state === "done" && task.result && html`
          <a href=${formatRoute("performance", { run: task.result.run_id })} data-testid="perf-open-report">Open the report</a>`}
        ${active && html`<button class="button" type="button" onClick=${cancel} aria-label="Cancel the perf run">Cancel</button>`}
      </p>
    </div>`;
}

/** One run's report, and that run beside another. */
function RunReport({ runId }) {
  const [run, setRun] = useState(null);
  const [error, setError] = useState(null);
  const [selected, setSelected] = useState(null);
  const [others, setOthers] = useState([]);
  const [otherId, setOtherId] = useState("");
  const [other, setOther] = useState(null);

  useEffect(() => {
    let gone = false;
    setRun(null); setError(null); setSelected(null); setOtherId(""); setOther(null);
    call("perf.results", { run: runId }, { quiet: true })
      .then((r) => { if (!gone) { setRun(r); setSelected(r.benchmarks.find((b) => b.samples?.length)?.name ?? null); } })
      .catch((e) => { if (!gone) setError(e); });
    call("perf.runs", { limit: 100 }).then((r) => { if (!gone) setOthers(r.items.filter((x) => x.run_id !== runId && !x.error)); })
      .catch(() => {});
    return () => { gone = true; };
  }, [runId]);

  useEffect(() => {
    if (!otherId) { setOther(null); return undefined; }
    let gone = false;
    call("perf.results", { run: otherId }).then((r) => { if (!gone) setOther(r); }).catch(() => setOtherId(""));
    return () => { gone = true; };
  }, [otherId]);

  const back = html`<a href=${formatRoute("performance")} data-testid="perf-back">← All runs</a>`;
  if (error) {
    return html`<div class="page perf">${back}
      <div class="empty" role="alert" data-testid="perf-report-missing">
        <p><b>Run ${runId} could not be read.</b></p><p class="muted">${error.message}</p></div></div>`;
  }
  if (!run) return html`<div class="page perf">${back}<h2>Run ${runId}</h2><p class="muted">Loading the report…</p></div>`;
  const counts = countVerdicts(run);
  const bench = run.benchmarks.find((b) => b.name === selected);
  return html`
    <div class="page perf" data-testid="perf-report" data-run=${run.run_id}>
      ${back}
      <header class="page-head">
        <h2>Run <code>${run.run_id}</code></h2>
        <${VerdictCounts} counts=${counts} />
      </header>
      <dl class="facts perf-facts">
        <dt>Started</dt><dd>${formatIso(run.started_at)} (finished ${formatIso(run.finished_at)})</dd>
        <dt>Suite</dt><dd>${run.suite ?? "—"}, scale ${run.scale}${run.repeat > 1 ? `, ${run.repeat} repetitions` : ""}</dd>
        <dt>Machine</dt><dd>${run.machine.hostname}: ${run.machine.cpu_model}, ${run.machine.cores ?? "?"} cores${run.machine.memory_bytes ? `, ${Math.round(run.machine.memory_bytes / 2 ** 30)} GB` : ""}, ${run.machine.os} ${run.machine.os_release}, Python ${run.machine.python}${run.machine.hub_version ? `, hub ${run.machine.hub_version}` : ""}${run.machine.commit ? `, commit ${run.machine.commit.slice(0, 10)}` : ""}</dd>
        <dt>Calibration</dt><dd>${run.calibration.name}: median ${formatFigure(run.calibration.median)} ${run.calibration.unit}, p95 ${formatFigure(run.calibration.p95)} ${run.calibration.unit}</dd>
        ${run.ipc && html`<dt>Inter-process control</dt><dd data-testid="perf-ipc">${run.ipc.name}: median ${formatFigure(run.ipc.median)} ${run.ipc.unit} (the mean of each round: ${run.ipc.rounds.map(formatFigure).join(", ")})</dd>`}
      </dl>
      <section class="panel" aria-labelledby="perf-bench-title">
        <div class="panel-head"><h3 id="perf-bench-title">Benchmarks</h3>
          <span class="muted">choose one to plot its samples</span></div>
        <div class="perf-table-wrap">
          <table class="checks perf-table" data-testid="perf-report-table">
            <thead><tr><th scope="col">benchmark</th><th scope="col">n</th><th scope="col">median</th>
              <th scope="col">p95</th><th scope="col">target</th><th scope="col">verdict</th></tr></thead>
            <tbody>
              ${run.benchmarks.map((b) => html`<${BenchRow} bench=${b} selected=${b.name === selected}
                                                            onSelect=${() => setSelected(b.name)} />`)}
            </tbody>
          </table>
        </div>
      </section>
      ${bench && html`<${PerformanceSamples} bench=${bench} />`}
      ${bench && html`<${PerformanceHistory} name=${bench.name} runId=${run.run_id} />`}
      <${Comparison} run=${run} others=${others} otherId=${otherId} setOtherId=${setOtherId} other=${other} />
    </div>`;
}

function BenchRow({ bench, selected, onSelect }) {
  const verdict = verdictOf(bench);
  const unit = bench.unit;
  const reason = bench.error ?? bench.not_run;
  return html`
    <tr data-testid="perf-bench-row" data-bench=${bench.name} data-verdict=${verdict} class=${selected ? "selected" : ""}>
      <th scope="row">
        ${bench.samples?.length
          ? html`<button type="button" class="link-button" aria-pressed=${selected ? "true" : "false"}
                         aria-label=${`Plot the samples of ${bench.name}`} onClick=${onSelect}><code>${bench.name}</code></button>`
          : html`<code>${bench.name}</code>`}
        <div class="muted perf-desc">${bench.description}</div>
      </th>
      <td>${bench.n}</td>
      <td>${formatFigure(bench.median)} ${bench.median === null ? "" : unit}</td>
      <td>${formatFigure(bench.p95)} ${bench.p95 === null ? "" : unit}</td>
      <td>${bench.targets.length === 0 ? html`<span class="muted">no budget</span>` : bench.targets.map((t) => html`<div title=${t.source}>${targetText(t, unit)}${t.observed !== null && t.observed !== undefined ? html` <span class="muted">(${formatFigure(t.observed)})</span>` : ""}</div>`)}</td>
      <td>
        <span class=${`pill ${VERDICT_CLASS[verdict]}`} data-testid="perf-verdict">${verdict}</span>
        ${reason && html`<div class="perf-reason" data-testid="perf-reason">${reason}</div>`}
      </td>
    </tr>`;
}

function Comparison({ run, others, otherId, setOtherId, other }) {
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    setResult(null); setError(null);
    if (!other) return undefined;
    let gone = false;
    call("perf.compare", { base: other.run_id, new: run.run_id }, { quiet: true })
      .then((r) => { if (!gone) setResult(r); }).catch((e) => { if (!gone) setError(e); });
    return () => { gone = true; };
  }, [run.run_id, other?.run_id]);
  return html`
    <section class="panel" aria-labelledby="perf-compare-title" data-testid="perf-compare">
      <div class="panel-head">
        <h3 id="perf-compare-title">Compare</h3>
        <label class="field-inline">
          <span>with</span>
          <select class="input select" aria-label="Compare with run" data-testid="perf-compare-select"
                  value=${otherId} onChange=${(e) => setOtherId(e.currentTarget.value)}>
            <option value="">no other run</option>
            ${others.map((r) => html`<option value=${r.run_id}>${r.run_id} (${r.suite ?? ""}, ${r.benchmarks.length} benchmarks)</option>`)}
          </select>
        </label>
      </div>
      ${others.length === 0 && html`<p class="muted">No other run to compare with yet.</p>`}
      ${otherId && !result && !error && html`<p class="muted">Comparing with ${otherId}…</p>`}
      ${error && html`<p class="inline-error" role="alert">Could not compare: ${error.message}</p>`}
      ${result && html`
        <p class="muted" data-testid="perf-compare-how">
          ${result.calibrated ? "Runs from two machines: each figure is a ratio to its run's calibration. " : "One machine: raw figures. "}
          Ratio = this run's median ÷ run ${result.base}'s, with its 95% interval. "slower" or "faster" only past ${result.threshold}× (or a benchmark's own threshold, from the budgets file) and at ${`p < ${result.alpha}`} (Mann-Whitney U); a rate that drops is slower.${result.ipc_ratio == null ? "" : ` ${machineMovedText(result)}`}
        </p>
        <p data-testid="perf-compare-summary">
          ${result.slower.length ? html`<b>${result.slower.length} slower:</b> ${result.slower.join(", ")}. ` : "Nothing slower. "}
          ${result.unsure?.length ? html`<b>${result.unsure.length} unsure</b> (the machine moved): ${result.unsure.join(", ")}. ` : ""}
          <span class="muted">Geometric mean of cost ratios per group (above 1: slower): ${groupMeansText(result.groups)}</span>
        </p>
        <table class="checks perf-table" data-testid="perf-compare-table">
          <thead><tr><th scope="col">benchmark</th><th scope="col">this run</th><th scope="col">other run</th>
            <th scope="col">ratio (95% CI)</th><th scope="col">p</th><th scope="col">verdict</th></tr></thead>
          <tbody>
            ${result.rows.map((r) => html`
              <tr data-testid="perf-compare-row" data-bench=${r.name} data-verdict=${r.verdict}>
                <th scope="row"><code>${r.name}</code></th>
                <td>${formatFigure(r.new_median)} ${r.new_median === null || result.calibrated ? "" : r.unit}</td>
                <td>${formatFigure(r.base_median)} ${r.base_median === null || result.calibrated ? "" : r.unit}</td>
                <td>${ratioText(r)}</td>
                <td>${r.p_value === null ? "—" : r.p_value.toPrecision(2)}</td>
                <td><span class=${`pill ${VERDICT_CLASS[r.verdict] ?? "pill-unknown"}`}>${r.verdict}</span>
                  ${r.threshold && r.threshold !== result.threshold && html`<div class="perf-reason" data-testid="perf-own-threshold">its own threshold: ${r.threshold}×</div>`}
                  ${r.note && html`<div class="perf-reason">${r.note}</div>`}</td>
              </tr>`)}
          </tbody>
        </table>`}
    </section>`;
}

function formatIso(text) {
  if (!text) return "—";
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toLocaleString();
}
