// The pages the nav shows, in order: {id (its route, lib/router.js), title (its name in the
// nav, and its accessible name), icon, Page (a component given {params} from the route)}.
// To build a page, replace its module; nothing else refers to it.
// Status, the first page shown, loads with the shell; the others when first shown (or when
// the window is idle after start-up: lib/lazyPage.js).
import { lazyPage } from "../lib/lazyPage.js";
import { StatusPage } from "./status.js";
import { NotFoundPage } from "./notfound.js";

const ChatPage = lazyPage(() => import("./chat.js"), "ChatPage");
const PersonasPage = lazyPage(() => import("./personas.js"), "PersonasPage");
const MemoryPage = lazyPage(() => import("./memory.js"), "MemoryPage");
const PluginsPage = lazyPage(() => import("./plugins.js"), "PluginsPage");
const TasksPage = lazyPage(() => import("./tasks.js"), "TasksPage");
const DashboardPage = lazyPage(() => import("./dashboard.js"), "DashboardPage");
const PerformancePage = lazyPage(() => import("./performance.js"), "PerformancePage");
const SettingsPage = lazyPage(() => import("./settings.js"), "SettingsPage");

export const PAGES = [
  { id: "chat", title: "Chat", icon: "✉", Page: ChatPage },
  { id: "personas", title: "Personas", icon: "☺", Page: PersonasPage },
  { id: "memory", title: "Memory", icon: "❖", Page: MemoryPage },
  { id: "plugins", title: "Plugins", icon: "▣", Page: PluginsPage },
  { id: "tasks", title: "Tasks", icon: "☰", Page: TasksPage },
  { id: "dashboard", title: "Dashboard", icon: "▦", Page: DashboardPage },
  { id: "performance", title: "Performance", icon: "◷", Page: PerformancePage },
  { id: "settings", title: "Settings", icon: "⚙", Page: SettingsPage },
  { id: "status", title: "Status", icon: "◉", Page: StatusPage },
];

export const NOT_FOUND = { id: "notfound", title: "No such page", icon: "?", Page: NotFoundPage };

/** The page for a route's page id. */
export function pageFor(id) {
  return PAGES.find((page) => page.id === id) ?? NOT_FOUND;
}
