// Whether the UI is talking to the core, derived from the outcomes of calls and the shell's
// shell.connection events ({state, message, at}).

export const FRESH_MS = 10_000;

/**
 * {state: "connected"|"reconnecting"|"disconnected", message} from the last success, the last
 * error and the shell's last word; the shell's word wins while no call succeeded after it.
 */
export function connectionState(lastOkAt, lastError, now, freshMs = FRESH_MS, shell = null) {
  if (shell && shell.state !== "connected" && (lastOkAt === null || shell.at >= lastOkAt)) {
    return { state: shell.state === "reconnecting" ? "reconnecting" : "disconnected",
      message: shell.message ?? "" };
  }
  if (lastOkAt !== null && now - lastOkAt <= freshMs) return { state: "connected", message: "" };
  if (lastError) return { state: "disconnected", message: describeError(lastError) };
  if (lastOkAt !== null) return { state: "disconnected", message: `no reply for over ${freshMs / 1000} s` };
  return { state: "disconnected", message: "waiting for the core" };
}

/** "code: message" for a HubError (or any Error). */
export function describeError(error) {
  return error.code ? `${error.code}: ${error.message}` : String(error.message ?? error);
}
