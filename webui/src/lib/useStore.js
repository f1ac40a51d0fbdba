// Preact glue for lib/store.js: keep a store per page, wired to the core's events.
//
//   const store = useListStore(() => createListStore({call, method: "task.list", …}), [deps])
//       creates the store once per deps, listens to its topics while mounted, disposes it after;
//       a new core (shell.connection "connected" after a restart) refetches it too
//   const snap = useStoreSnapshot(store)   re-renders on every change of the store
//   withFirstPage(store)                   asks for the first page now (see below)
import { useEffect, useMemo, useState } from "./preact.js";
import { on } from "../bridge.js";

export function useListStore(factory, deps = []) {
  const store = useMemo(factory, deps);
  useEffect(() => {
    const detach = store.listen(on);
    const offConnection = on("shell.connection", ({ data }) => {
      if (data?.state === "connected") store.invalidate();
    });
    return () => { detach(); offConnection(); store.dispose(); };
  }, [store]);
  return store;
}

export function useStoreSnapshot(store) {
  const [snap, setSnap] = useState(() => store?.snapshot() ?? null);
  useEffect(() => {
    if (!store) return undefined;
    setSnap(store.snapshot());
    return store.subscribe(setSnap);
  }, [store]);
  return snap;
}

/**
 * Asks for store's first page at once and returns the store: made in a render, its list would
 * otherwise ask only after the next paint (effects run then), a frame or two later. The list's
 * own request for the rows in view finds that page in flight and waits for it.
 */
export function withFirstPage(store) {
  store.ensure(0, 1).catch(() => undefined); // errors reach the page through the snapshot
  return store;
}
