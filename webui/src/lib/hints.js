// The window's words for the core's hints (error.data.hint names a method that helps, see
// backend/pajamas/errors.py): what to do, and the page that does it. Pure, node-tested.
import { formatRoute } from "./router.js";

const HINTS = {
  "persona.list": { text: "See the personas that exist.", page: "personas" },
  "plugin.list": { text: "See the installed plugins.", page: "plugins" },
  "plugin.enable": { text: "Enable the plugin for this persona on the Plugins page.", page: "plugins" },
  "task.list": { text: "See the tasks that exist.", page: "tasks" },
  "task.cancel": { text: "Wait for the task, or cancel it on the Tasks page.", page: "tasks" },
  "perf.run": { text: "Start a performance run first.", page: "performance" },
  "memory.reembed": { text: "Re-embed this persona's memories (Memory page, maintenance).", page: "memory", param: "persona" },
  "monitor.metrics": { text: "See the metrics on the Dashboard.", page: "dashboard" },
  "system.health": { text: "The core's log (logs/core.log in the hub's home) has the details.", page: "status" },
  "system.methods": { text: "The core may be another version of the hub: restart it from Settings.", page: "settings" },
};

// What to do for errors that carry no hint, by protocol code.
const BY_CODE = {
  busy: "The core is busy; try again in a moment.",
  timeout: "The core took too long; try again, or look at the Status page.",
  not_found: "It may have been deleted meanwhile; refresh the page.",
  invalid_params: "Check the values you entered.",
  internal: "This is a bug; the core's log (logs/core.log) has the details.",
  unavailable: "The window is reconnecting to the core; try again in a moment.",
};

/** {text, href|null} saying what to do about a HubError-like {code, data}. */
export function adviceFor(error) {
  const hint = error?.data && typeof error.data === "object" ? error.data.hint : null;
  const known = typeof hint === "string" ? HINTS[hint] : null;
  if (known) {
    const params = known.param ? { [known.param]: error.data[known.param] } : {};
    return { text: known.text, href: formatRoute(known.page, params) };
  }
  return { text: BY_CODE[error?.code] ?? "", href: null };
}
