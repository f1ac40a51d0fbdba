// Whether the UI is talking to the core, derived from the outcomes of calls.

export const FRESH_MS = 10_000;

/** {state: "connected"|"disconnected", message} from the last success and last error. */
export function connectionState(lastOkAt, lastError, now, freshMs = FRESH_MS) {
  if (lastOkAt !== null && now - lastOkAt <= freshMs) return { state: "connected", message: "" };
  if (lastError) return { state: "disconnected", message: describeError(lastError) };
  if (lastOkAt !== null) return { state: "disconnected", message: `no reply for over ${freshMs / 1000} s` };
  return { state: "disconnected", message: "waiting for the core" };
}

/** "code: message" for a HubError (or any Error). */
export function describeError(error) {
  return error.code ? `${error.code}: ${error.message}` : String(error.message ?? error);
}
