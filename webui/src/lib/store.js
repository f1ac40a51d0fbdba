// One small store per resource: a paged, cached view of a protocol list method
// (offset/limit → {items, total}, docs/protocol.md "Lists"), invalidated by core events.
//
//   const tasks = createListStore({
//     call,                       // bridge.call, or a fake in tests: (method, params) → Promise
//     method: "task.list",        // the list method
//     params: { state: "running" },   // its other params (setParams replaces them)
//     pageSize: 50,               // items per call (≤ the method's limit cap)
//     topics: ["task."],          // event prefixes that invalidate it (see listen)
//     onEvent(event, store) {},   // optional: handle an event in place; return true if done
//   });
//   tasks.subscribe(fn)     → unsubscribe; fn(snapshot) on every change
//   tasks.snapshot()        → {total: number|null, loading, error, version, method, params}
//                             (method and params: the query of the items shown)
//   tasks.item(i)           → the cached item at index i, or undefined (not fetched yet)
//   tasks.loaded()          → the cached items in order (for short lists)
//   tasks.ensure(start, end)→ Promise; fetches the pages covering [start, end) not cached
//   tasks.invalidate()      → drops the cache and fetches again what was last asked for
//   tasks.setParams(p)      → a new query (a search, a filter); same as invalidate
//   tasks.setParams(p, {keep: true, method, pageSize})
//                           → a new query (of another list method, in other pages) whose
//                             first reply replaces what is shown: until it lands, the old
//                             items stay (no empty list between two searches)
//   tasks.patch(match, update) → changes cached items in place (live events), no call
//   tasks.listen(on)        → subscribes to the topics with bridge.on; returns a detach
//   tasks.dispose()         → detaches and forgets everything
//
// A failed page call sets snapshot().error (and rejects ensure); callers show it (toast).
// Replies that arrive after an invalidate are dropped (a generation counter), so a slow
// old page can never overwrite newer data. Only the pages near the last range asked for
// are kept (maxPages), so memory stays bounded at any list length.

/** The indexes of the pages covering `wanted` ({start, end}) that `pages` lacks, up to `total`. */
export function missingPages(wanted, total, pageSize, pages) {
  const last = total === null ? wanted.end : Math.min(wanted.end, total);
  const first = Math.floor(wanted.start / pageSize);
  const stop = Math.max(first + 1, Math.ceil(last / pageSize));
  const missing = [];
  for (let index = first; index < stop; index++) {
    if (pages.has(index)) continue;
    if (total !== null && index * pageSize >= total && index > 0) break;
    missing.push(index);
  }
  return missing;
}

/** Drops the pages farthest from `wanted` until at most `maxPages` are left. */
export function evictFarPages(pages, wanted, pageSize, maxPages) {
  if (pages.size <= maxPages) return;
  const center = Math.floor((wanted.start + wanted.end) / 2 / pageSize);
  const far = [...pages.keys()].sort((a, b) => Math.abs(b - center) - Math.abs(a - center));
  far.slice(0, pages.size - maxPages).forEach((index) => pages.delete(index));
}

export function createListStore({
  call, method, params = {}, pageSize = 50, topics = [], onEvent = null,
  maxPages = 20, invalidateDelayMs = 100, setTimer = setTimeout, clearTimer = clearTimeout,
}) {
  let query = { ...params };
  // What the pages hold: the query, method and page size they were fetched with. A kept
  // setParams leaves them (and total) until its first reply lands (`stale`).
  let shown = { method, params: query, pageSize };
  let stale = false;
  let pages = new Map(); // page index → items
  let inflight = new Map(); // page index → Promise
  let total = null;
  let error = null;
  let version = 0;
  let generation = 0;
  let wanted = { start: 0, end: 0 };
  let timer = null;
  let detach = null;
  const listeners = new Set();

  const snapshot = () => ({
    total, loading: inflight.size > 0, error, version, method: shown.method, params: shown.params,
  });
  function changed() {
    version += 1;
    const snap = snapshot();
    listeners.forEach((fn) => fn(snap));
  }

  const evict = () => evictFarPages(pages, wanted, pageSize, maxPages);

  async function fetchPage(index) {
    const gen = generation;
    try {
      const reply = await call(method, { ...query, offset: index * pageSize, limit: pageSize });
      if (gen !== generation) return;
      if (stale) { // the new query's first reply: what was kept goes
        pages = new Map();
        shown = { method, params: query, pageSize };
        stale = false;
      }
      pages.set(index, Array.isArray(reply?.items) ? reply.items : []);
      total = Number.isFinite(reply?.total) ? reply.total : pages.get(index).length;
      error = null;
      evict();
    } catch (failure) {
      if (gen === generation) error = failure;
      throw failure;
    } finally {
      if (gen === generation) {
        inflight.delete(index);
        changed();
      }
    }
  }

  function ensure(start, end) {
    wanted = { start: Math.max(0, start), end: Math.max(start, end) };
    const waits = [];
    const held = stale ? new Map() : pages; // kept pages are another query's
    for (const index of missingPages(wanted, stale ? null : total, pageSize, held)) {
      if (!inflight.has(index)) {
        inflight.set(index, fetchPage(index));
        if (inflight.size === 1) changed();
      }
      waits.push(inflight.get(index));
    }
    return Promise.all(waits).then(() => undefined);
  }

  function invalidate() {
    if (timer !== null) clearTimer(timer);
    timer = null;
    generation += 1;
    pages = new Map();
    inflight = new Map();
    changed();
    return ensure(wanted.start, Math.max(wanted.end, 1)).catch(() => undefined);
  }

  function handle(event) {
    if (onEvent && onEvent(event, store)) return;
    if (timer !== null) return; // one refetch for a burst of events
    timer = setTimer(() => { timer = null; invalidate(); }, invalidateDelayMs);
  }

  const store = {
    snapshot,
    ensure,
    invalidate,
    item(i) {
      return pages.get(Math.floor(i / shown.pageSize))?.[i % shown.pageSize];
    },
    loaded() {
      return [...pages.keys()].sort((a, b) => a - b).flatMap((index) => pages.get(index));
    },
    setParams(next, { keep = false, method: nextMethod = method, pageSize: nextSize = pageSize } = {}) {
      query = { ...next };
      method = nextMethod;
      pageSize = nextSize;
      wanted = { start: 0, end: wanted.end - wanted.start };
      if (!keep) {
        total = null;
        shown = { method, params: query, pageSize };
        stale = false;
        return invalidate();
      }
      if (timer !== null) clearTimer(timer);
      timer = null;
      generation += 1;
      inflight = new Map();
      stale = true;
      return ensure(0, Math.max(wanted.end, 1)).catch(() => undefined);
    },
    patch(match, update) {
      let hit = false;
      for (const [index, items] of pages) {
        if (!items.some(match)) continue;
        pages.set(index, items.map((item) => (match(item) ? update(item) : item)));
        hit = true;
      }
      if (hit) changed();
      return hit;
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    handleEvent: handle,
    listen(on) {
      const offs = topics.map((prefix) => on(prefix, handle));
      detach = () => offs.forEach((off) => off());
      return detach;
    },
    dispose() {
      if (detach) detach();
      if (timer !== null) clearTimer(timer);
      generation += 1;
      pages = new Map();
      inflight = new Map();
      listeners.clear();
    },
  };
  return store;
}
