// The border between the UI and the Python shell: the only module that touches
// window.pywebview. Python exposes `api.call(method, params)`, which resolves to an
// envelope {ok: true, result} | {ok: false, error: {code, message, data}}, and pushes
// core events as window CustomEvents named "pajamas:event" with detail {topic, time, data}.

export const EVENT_NAME = "pajamas:event";

/** An error reply from the hub (or a failure to reach it); `code` is a docs/protocol.md code. */
export class HubError extends Error {
  constructor(code, message, data = null, method = null) {
    super(message);
    this.name = "HubError";
    this.code = code;
    this.data = data;
    this.method = method;
  }
}

/** Returns the result of an envelope, or throws the HubError it carries. */
export function unwrapEnvelope(envelope, method = null) {
  if (envelope && envelope.ok === true && "result" in envelope) return envelope.result;
  const error = envelope && envelope.ok === false ? envelope.error : null;
  if (error && typeof error.code === "string") {
    throw new HubError(error.code, String(error.message ?? error.code), error.data ?? null, method);
  }
  throw new HubError("internal", `malformed reply from the shell: ${safeJson(envelope)}`,
    envelope ?? null, method);
}

/** Turns whatever a rejected pywebview call gave us into a HubError "internal". */
export function toHubError(reason, method = null) {
  if (reason instanceof HubError) return reason;
  const message = reason && reason.message ? reason.message : String(reason);
  return new HubError("internal", `the shell failed to call ${method}: ${message}`,
    null, method);
}

/** True when an event with `topic` goes to a handler registered for `prefix`. */
export function topicMatches(prefix, topic) {
  return typeof topic === "string" && topic.startsWith(prefix);
}

function safeJson(value) {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

// pywebview creates `window.pywebview.api` empty and adds `call` a moment later: wait for it.
function apiAvailable() {
  return typeof window.pywebview?.api?.call === "function";
}

/** Resolves once pywebview's js_api is available. */
export function ready() {
  if (apiAvailable()) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => (apiAvailable() ? resolve() : setTimeout(check, 10));
    window.addEventListener("pywebviewready", check, { once: true });
  });
}

const settledListeners = new Set();

/**
 * Calls `listener({method, ok, error, time, quiet})` after every call; returns an unsubscribe.
 * The app shell turns each failure into a toast, unless the call was made `quiet` (a
 * heartbeat, or a page that shows the error itself).
 */
export function onSettled(listener) {
  settledListeners.add(listener);
  return () => settledListeners.delete(listener);
}

function notifySettled(method, error, quiet = false) {
  const outcome = { method, ok: !error, error: error ?? null, time: Date.now(), quiet };
  settledListeners.forEach((listener) => listener(outcome));
}

/**
 * Calls an RPC method of the core; resolves to its result, rejects with a HubError.
 * `options.quiet`: the failure is not toasted (the caller shows it, or it is a heartbeat).
 */
export async function call(method, params = {}, { quiet = false } = {}) {
  await ready();
  let envelope;
  try {
    envelope = await window.pywebview.api.call(method, params);
  } catch (reason) {
    return fail(method, toHubError(reason, method), quiet);
  }
  try {
    const result = unwrapEnvelope(envelope, method);
    notifySettled(method, null, quiet);
    return result;
  } catch (error) {
    return fail(method, error, quiet);
  }
}

function fail(method, error, quiet) {
  notifySettled(method, error, quiet);
  throw error;
}

/** Calls `handler({topic, time, data})` for each event whose topic starts with `prefix`. */
export function on(prefix, handler) {
  const listener = (event) => {
    const detail = event.detail || {};
    if (topicMatches(prefix, detail.topic)) handler(detail);
  };
  window.addEventListener(EVENT_NAME, listener);
  return () => window.removeEventListener(EVENT_NAME, listener);
}

/**
 * Opens the window's native dialog (pywebview's create_file_dialog, through the shell's
 * `choose_paths`); resolves to the chosen paths ([] when cancelled), rejects with a HubError.
 * `kind`: "file" or "folder"; `types`: ["Plugins (*.zip)"]. Failures are toasted like calls'.
 */
export async function choosePaths({ kind = "file", multiple = false, types = [] } = {}) {
  await ready();
  const method = "shell.choose_paths";
  if (typeof window.pywebview.api.choose_paths !== "function") {
    return fail(method, new HubError("internal", "this window has no file dialog: type the path instead", null, method), false);
  }
  let envelope;
  try {
    envelope = await window.pywebview.api.choose_paths(kind, multiple, types);
  } catch (reason) {
    return fail(method, toHubError(reason, method), false);
  }
  try {
    const { paths } = unwrapEnvelope(envelope, method);
    notifySettled(method, null, false);
    return Array.isArray(paths) ? paths.map(String) : [];
  } catch (error) {
    return fail(method, error, false);
  }
}

// The shell's native file dialogs (pywebview's create_file_dialog), when it offers them.

/** Whether the shell offers native open and save dialogs. */
export function hasFileDialogs() {
  return typeof window.pywebview?.api?.choose_files === "function";
}

/**
 * Opens the native dialog to choose files; resolves to [{name, data}] (data: base64), [] when
 * the person cancels. `kinds`: the dialog's file types, e.g. ["Character cards (*.png;*.json)"].
 */
export async function chooseFiles(kinds = []) {
  await ready();
  return unwrapEnvelope(await window.pywebview.api.choose_files(kinds), "shell.choose_files");
}

/** Opens the native save dialog and writes the bytes (base64) there: {path}, or null if cancelled. */
export async function saveFile(name, data) {
  await ready();
  return unwrapEnvelope(await window.pywebview.api.save_file(name, data), "shell.save_file");
}
