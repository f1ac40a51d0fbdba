// The memory page's maintenance: compact, consolidate, back up, restore, export, import and
// re-embed a persona's memory, each a core task followed live (task.progress, task.done) to a
// summary. The shell offers no native file dialog yet, so paths are typed (on the core's machine).
import { html, useState } from "../lib/preact.js";
import { call } from "../bridge.js";
import { useHubEvent } from "../lib/hooks.js";
import { applyProgress, progressPercent } from "../lib/tasks.js";

const ACTIONS = [
  { id: "maintain", label: "Compact", method: "memory.maintain", help: "Compact the persona's table: fewer, larger files, faster reads." },
  { id: "consolidate", label: "Consolidate", method: "memory.consolidate", help: "Merge near-duplicate memories; the merged ones are kept, superseded." },
  { id: "reembed", label: "Re-embed", method: "memory.reembed", help: "Embed every memory again with the current model." },
  { id: "backup", label: "Back up", method: "memory.backup", help: "A .zip of the persona's memory; empty path: <home>/backups/.",
    path: { optional: true, placeholder: "/path/to/backup.zip (optional)" } },
  { id: "export", label: "Export", method: "memory.export", help: "Every memory to a .jsonl or .parquet file.",
    path: { placeholder: "/path/to/memories.jsonl", ext: [".jsonl", ".parquet"] }, vectors: true },
  { id: "import", label: "Import", method: "memory.import", help: "Memories from a .jsonl or .parquet export.",
    path: { placeholder: "/path/to/memories.jsonl", ext: [".jsonl", ".parquet"] }, conflict: true },
  { id: "restore", label: "Restore", method: "memory.restore", help: "Memories from a backup .zip into this persona.",
    path: { placeholder: "/path/to/backup.zip", ext: [".zip"] }, reembed: true },
];

/** "imported 3 · skipped 1" from a task's result map. */
export function summarize(result) {
  if (!result || typeof result !== "object") return "done";
  return Object.entries(result).map(([k, v]) => `${k.replaceAll("_", " ")} ${typeof v === "object" ? JSON.stringify(v) : v}`).join(" · ");
}

function ActionForm({ action, persona, onStarted }) {
  const [path, setPath] = useState("");
  const [vectors, setVectors] = useState(false);
  const [conflict, setConflict] = useState("skip");
  const [reembed, setReembed] = useState(false);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    const params = { persona };
    if (action.path) {
      const p = path.trim();
      if (!p && !action.path.optional) { setError("Type the file's path"); return; }
      if (p && action.path.ext && !action.path.ext.some((x) => p.toLowerCase().endsWith(x))) {
        setError(`The path ends with ${action.path.ext.join(" or ")}`); return;
      }
      if (p) params.path = p;
    }
    if (action.vectors && vectors) params.include_vectors = true;
    if (action.conflict) params.on_conflict = conflict;
    if (action.reembed && reembed) params.reembed = true;
    setError("");
    setBusy(true);
    try {
      const { task } = await call(action.method, params);
      onStarted(task, action);
    } catch {
      // toasted by the bridge
    } finally {
      setBusy(false);
    }
  }
  return html`
    <form class="memory-action panel" aria-label=${action.label} data-testid=${`maintain-${action.id}`} onSubmit=${submit}>
      <h4>${action.label}</h4>
      <p class="muted">${action.help}</p>
      ${action.path && html`<input class="input" type="text" aria-label=${`${action.label} path`} placeholder=${action.path.placeholder}
                                   value=${path} onInput=${(e) => setPath(e.currentTarget.value)} />`}
      ${action.vectors && html`<label class="field-inline"><input type="checkbox" checked=${vectors} onChange=${(e) => setVectors(e.currentTarget.checked)} /> with vectors</label>`}
      ${action.conflict && html`<label class="field-inline">On conflict
        <select class="input select" aria-label="On conflict" value=${conflict} onChange=${(e) => setConflict(e.currentTarget.value)}>
          <option value="skip">skip</option><option value="replace">replace</option></select></label>`}
      ${action.reembed && html`<label class="field-inline"><input type="checkbox" checked=${reembed} onChange=${(e) => setReembed(e.currentTarget.checked)} /> re-embed</label>`}
      ${error && html`<p class="inline-error" role="alert">${error}</p>`}
      <button class="button" type="submit" disabled=${busy}>${busy ? "Starting…" : action.label}</button>
    </form>`;
}

export function MemoryMaintenance({ persona }) {
  const [runs, setRuns] = useState([]); // newest first: {id, label, state, progress, message, result, error}
  const update = (id, fn) => setRuns((list) => list.map((run) => (run.id === id ? fn(run) : run)));
  useHubEvent("task.", ({ topic, data }) => {
    if (!data?.id) return;
    if (topic === "task.progress") update(data.id, (run) => applyProgress(run, data));
    if (topic === "task.done") update(data.id, (run) => ({ ...run, ...data }));
  });
  function started(id, action) {
    setRuns((list) => [{ id, label: action.label, state: "queued", progress: null, message: "" }, ...list]);
    // The task may have ended before we listened: its state now, once.
    call("task.get", { id }, { quiet: true }).then((task) => update(id, (run) => (run.finished_at ? run : { ...run, ...task }))).catch(() => undefined);
  }
  return html`
    <div class="memory-maintenance">
      <p class="muted">Each runs as a task (also on the <a href="#/tasks">Tasks</a> page). Paths are on the core's machine: type them (the window has no file dialog yet).</p>
      ${runs.length > 0 && html`
        <ul class="memory-runs" aria-label="Maintenance runs">
          ${runs.map((run) => {
            const percent = progressPercent(run.progress);
            return html`<li key=${run.id} class="panel" data-testid="maintain-run" data-state=${run.state}>
              <div class="memory-run-head">
                <b>${run.label}</b> <span class=${`pill state-${run.state}`}>${run.state}</span>
                <span class="muted truncate">${run.message || ""}</span>
              </div>
              <div class="progress" role="progressbar" aria-label=${`Progress of ${run.label}`} aria-valuemin="0" aria-valuemax="100"
                   aria-valuenow=${percent ?? undefined}>
                <div class="progress-bar" style=${`width:${percent ?? (run.state === "done" ? 100 : 0)}%`}></div>
              </div>
              ${run.state === "done" && html`<p data-testid="maintain-summary">${summarize(run.result)}</p>`}
              ${run.state === "failed" && run.error && html`<p class="inline-error">${run.error.code}: ${run.error.message}</p>`}
            </li>`;
          })}
        </ul>`}
      <div class="memory-actions-grid">
        ${ACTIONS.map((action) => html`<${ActionForm} key=${action.id} action=${action} persona=${persona} onStarted=${started} />`)}
      </div>
    </div>`;
}
