// Small Preact hooks shared by pages: timers, hub events and calls with a loading state.
import { useCallback, useEffect, useRef, useState } from "./preact.js";
import { call, on } from "../bridge.js";

/** Runs the latest `fn` every `ms` milliseconds while mounted (and once at once if `now`). */
export function useInterval(fn, ms, now = false) {
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    if (now) latest.current();
    const id = setInterval(() => latest.current(), ms);
    return () => clearInterval(id);
  }, [ms, now]);
}

/** Date.now(), refreshed every `ms` milliseconds. */
export function useNow(ms = 1000) {
  const [now, setNow] = useState(Date.now());
  useInterval(() => setNow(Date.now()), ms);
  return now;
}

/** Subscribes the latest `handler({topic, time, data})` to events under `prefix`. */
export function useHubEvent(prefix, handler) {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => on(prefix, (event) => latest.current(event)), [prefix]);
}

/**
 * {data, error, loading, run} for one RPC method; `run(params)` calls it again.
 * Errors stay in `error` for the page and also reach the global error banner (bridge.onSettled).
 */
export function useCall(method) {
  const [state, setState] = useState({ data: null, error: null, loading: false });
  const run = useCallback(async (params = {}) => {
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await call(method, params);
      setState({ data, error: null, loading: false });
    } catch (error) {
      setState((s) => ({ ...s, error, loading: false }));
    }
  }, [method]);
  return { ...state, run };
}
