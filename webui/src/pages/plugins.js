// Plugins (issue 11, page 3).
import { placeholderPage } from "./placeholders.js";

export const PluginsPage = placeholderPage("Plugins", "Extensions, sandboxed.", [
  "install plugins from a folder or a .zip, their permissions shown first",
  "enable them per persona and lower their quotas",
  "watch running plugin hosts and why any was stopped",
]);
