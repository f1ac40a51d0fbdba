// The stores of the other resources, ready for their pages (lib/tasks.js has the tasks').
// Each is a lib/store.js list store: pages through its list method, refetched on its events.
import { createListStore } from "./store.js";

/** How a persona's memories are listed (the store below; the memory page goes back to it). */
export const MEMORY_LIST = { method: "memory.list", pageSize: 100 };

/** A persona's memories, newest first (memory.list); refetched on its memory.changed. */
export function createMemoryStore(call, persona, options = {}) {
  return createListStore({
    call, ...MEMORY_LIST, params: { persona }, topics: ["memory.changed"],
    // Another persona's change is not ours: handled (ignored) without a refetch.
    onEvent: ({ data }) => data?.persona !== persona,
    ...options,
  });
}

/** Installed plugins by name (plugin.list, `query` in the name or description). */
export function createPluginStore(call, query = "", options = {}) {
  return createListStore({
    call, method: "plugin.list", params: query ? { query } : {}, pageSize: 100,
    // Of the plugin.* events only a disable changes what the list shows (hosts starting,
    // stopping or logging do not); the page invalidates after its own install or uninstall.
    topics: ["plugin.disabled"],
    ...options,
  });
}

/** The persona library (persona.list: light rows, `params` its search, sort and filters);
 * refetched on persona.changed. */
export function createPersonaStore(call, options = {}) {
  return createListStore({
    call, method: "persona.list", pageSize: 100, topics: ["persona.changed"], ...options,
  });
}
