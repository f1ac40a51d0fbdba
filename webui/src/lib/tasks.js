// The tasks resource: its list store (task.list, live from task.* events) and the running
// count the nav shows. Pure of the DOM; node-tested with a fake call.
import { createListStore } from "./store.js";

export const TASK_STATES = ["queued", "running", "done", "failed", "cancelled"];
export const ACTIVE = new Set(["queued", "running"]);

/** A task after a task.progress event's {state, progress, message}. */
export function applyProgress(task, data) {
  return { ...task, state: data.state ?? task.state, progress: data.progress ?? task.progress,
    message: data.message ?? task.message };
}

/**
 * The task list, newest first. task.progress and task.done update the tasks it holds in
 * place (no call); a task it has not seen (a new one) refetches the list, once per burst.
 */
export function createTaskStore(call, { state = null, ...options } = {}) {
  return createListStore({
    call, method: "task.list", params: state ? { state } : {}, pageSize: 50,
    topics: ["task."],
    onEvent({ topic, data }, store) {
      if (!data || typeof data.id !== "string") return false;
      const match = (task) => task.id === data.id;
      if (topic === "task.done") return store.patch(match, () => data) && !state;
      if (topic === "task.progress") {
        // A filtered list loses or gains the task when its state changes: refetch then.
        const same = (task) => match(task) && (!state || task.state === data.state);
        return store.patch(same, (task) => applyProgress(task, data));
      }
      return false;
    },
    ...options,
  });
}

/**
 * How many tasks run, for the nav: task.list {state: "running", limit: 1}'s total, fetched
 * again only when an event shows a task whose state it has not seen yet (a start or an end).
 */
export function createRunningCount(call, options = {}) {
  const seen = new Map(); // task id → last state
  return createListStore({
    call, method: "task.list", params: { state: "running" }, pageSize: 1, topics: ["task."],
    onEvent({ topic, data }) {
      if (!data || typeof data.id !== "string") return false;
      const state = topic === "task.done" ? data.state : data.state ?? "running";
      const known = seen.get(data.id) === state;
      seen.set(data.id, state);
      if (seen.size > 1000) seen.delete(seen.keys().next().value);
      return known;
    },
    ...options,
  });
}

/** A 0..1 progress as a whole percent, or null when unknown. */
export function progressPercent(progress) {
  return Number.isFinite(progress) ? Math.round(Math.min(1, Math.max(0, progress)) * 100) : null;
}
