// Tasks: every background task, live from task.progress / task.done events (no polling),
// with its progress, message, times, error and a cancel button.
import { html, useState } from "../lib/preact.js";
import { call } from "../bridge.js";
import { useListStore, useStoreSnapshot } from "../lib/useStore.js";
import { ACTIVE, TASK_STATES, createTaskStore, progressPercent } from "../lib/tasks.js";
import { formatTime } from "../lib/format.js";
import { showToast } from "../lib/toast.js";
import { VirtualList } from "../components/VirtualList.js";

const ROW_HEIGHT = 108;

export function TasksPage() {
  const [state, setState] = useState("");
  const store = useListStore(() => createTaskStore(call, { state: state || null }), [state]);
  const snap = useStoreSnapshot(store);
  return html`
    <div class="page page-fill">
      <header class="page-head">
        <h2>Tasks</h2>
        <p class="muted">Background work of the core, live. Cancel what you no longer need.</p>
      </header>
      <div class="toolbar">
        <label class="field-inline">
          <span>Show</span>
          <select class="input select" aria-label="Show tasks in state" data-testid="tasks-state"
                  value=${state} onChange=${(e) => setState(e.currentTarget.value)}>
            <option value="">every task</option>
            ${TASK_STATES.map((s) => html`<option value=${s}>${s}</option>`)}
          </select>
        </label>
        <span class="muted" data-testid="tasks-count" aria-live="polite">
          ${snap?.total === null || snap?.total === undefined ? "loading…" : `${snap.total} ${snap.total === 1 ? "task" : "tasks"}`}
        </span>
      </div>
      ${snap?.error && html`<p class="inline-error" role="alert">Could not list tasks: ${snap.error.message}</p>`}
      <${VirtualList} store=${store} rowHeight=${ROW_HEIGHT} height="100%" label="Tasks" fit=${true}
                      testid="tasks-list" getKey=${(task) => task.id}
                      renderRow=${(task) => TaskRow(task, store)}
                      empty=${html`<${EmptyTasks} loading=${snap?.total === null} filtered=${Boolean(state)} />`} />
    </div>`;
}

function EmptyTasks({ loading, filtered }) {
  if (loading) return html`<p class="muted">Loading tasks…</p>`;
  return html`
    <div class="empty" data-testid="tasks-empty">
      <p><b>${filtered ? "No task in this state." : "No tasks yet."}</b></p>
      <p class="muted">Tasks appear here when the hub works in the background: a performance
        run, a card import, memory maintenance.</p>
    </div>`;
}

function TaskRow(task, store) {
  if (!task) return html`<div class="task-row placeholder-row" aria-busy="true">Loading…</div>`;
  const percent = progressPercent(task.progress);
  const name = task.title || task.kind;
  return html`
    <article class="task-row" data-testid="task-row" data-task=${task.id} data-state=${task.state}
             aria-label=${`${name}, ${task.state}`}>
      <div class="task-main">
        <div class="task-title">
          <span class=${`pill state-${task.state}`} data-testid="task-state">${task.state}</span>
          <b class="truncate">${name}</b>
          <code class="muted">${task.kind}</code>
        </div>
        <div class="task-progress">
          <div class="progress" role="progressbar" aria-label=${`Progress of ${name}`}
               aria-valuemin="0" aria-valuemax="100" aria-valuenow=${percent ?? undefined}
               aria-valuetext=${percent === null ? "unknown" : `${percent}%`}>
            <div class=${`progress-bar${percent === null && task.state === "running" ? " indeterminate" : ""}`}
                 style=${`width:${percent ?? (task.state === "running" ? 100 : 0)}%`}></div>
          </div>
          <span class="task-percent muted">${percent === null ? "" : `${percent}%`}</span>
        </div>
        <div class="task-message truncate" data-testid="task-message">
          ${task.state === "failed" && task.error
            ? html`<span class="inline-error" data-testid="task-error">${task.error.code}: ${task.error.message}</span>`
            : task.message || html`<span class="muted">no message</span>`}
        </div>
        <div class="task-times muted">
          ${`created ${formatTime(task.created_at)} · started ${formatTime(task.started_at)} · ended ${formatTime(task.finished_at)}`}
        </div>
      </div>
      <div class="task-actions">
        ${ACTIVE.has(task.state) && html`
          <button class="button" type="button" data-testid="task-cancel"
                  disabled=${task.cancel_requested}
                  aria-label=${`Cancel ${name}`} onClick=${() => cancel(task, store)}>
            ${task.cancel_requested ? "Cancelling…" : "Cancel"}
          </button>`}
      </div>
    </article>`;
}

async function cancel(task, store) {
  try {
    const { cancelled } = await call("task.cancel", { id: task.id });
    if (cancelled) store.patch((t) => t.id === task.id, (t) => ({ ...t, cancel_requested: true }));
    if (!cancelled) showToast({ kind: "info", title: "Already ended", message: `${task.title || task.kind} had ended.` });
  } catch {
    // the call's failure is toasted by the shell
  }
}
