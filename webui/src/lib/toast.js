// Toasts: short messages in a corner, announced by screen readers (aria-live), dismissible.
// A module-level store, so any code may raise one; components/Toasts.js renders them.
//
//   showToast({kind: "error"|"info"|"ok", title, message, advice: {text, href}, timeoutMs})
//       → id; repeats of the same title+message bump a counter instead of stacking
//   toastError(error, title?) → id; a HubError's message and what to do (lib/hints.js)
//   dismissToast(id) · subscribeToasts(fn) → unsubscribe; fn(list) on each change
//   toastReducer(list, action) — the pure part (node-tested)
import { adviceFor } from "./hints.js";

export const MAX_TOASTS = 4;
const listeners = new Set();
let toasts = [];
let nextId = 1;

/** The toast list after an action {type: "add", toast} | {type: "dismiss", id}. */
export function toastReducer(list, action) {
  if (action.type === "dismiss") return list.filter((t) => t.id !== action.id);
  const toast = action.toast;
  const key = `${toast.kind}\u0000${toast.title}\u0000${toast.message}`;
  const old = list.find((t) => t.key === key);
  const merged = { ...toast, key, id: old ? old.id : toast.id, count: old ? old.count + 1 : 1 };
  return [merged, ...list.filter((t) => t.key !== key)].slice(0, MAX_TOASTS);
}

function dispatch(action) {
  toasts = toastReducer(toasts, action);
  listeners.forEach((fn) => fn(toasts));
}

/** Shows a toast; returns its id. Errors stay until dismissed, others go after timeoutMs. */
export function showToast({ kind = "info", title = "", message = "", advice = null, timeoutMs } = {}) {
  const id = nextId++;
  dispatch({ type: "add", toast: { id, kind, title, message, advice } });
  const shown = toasts[0].id;
  const ms = timeoutMs ?? (kind === "error" ? 0 : 5000);
  if (ms > 0) setTimeout(() => dismissToast(shown), ms);
  return shown;
}

/** A toast for a failed call: its message, the method, and what to do. */
export function toastError(error, title = null) {
  const method = error?.method ? ` (${error.method})` : "";
  return showToast({
    kind: "error",
    title: title ?? `${error?.code ?? "error"}${method}`,
    message: String(error?.message ?? error),
    advice: adviceFor(error),
  });
}

export function dismissToast(id) {
  dispatch({ type: "dismiss", id });
}

export function subscribeToasts(fn) {
  listeners.add(fn);
  fn(toasts);
  return () => listeners.delete(fn);
}
