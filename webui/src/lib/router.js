// The hash router: a pure parser/formatter (node-tested) and a hook for the app shell.
//
//   parseRoute("#/chat/p1/c2")  → {page: "chat", params: {persona: "p1", conversation: "c2"}}
//   parseRoute("#/nowhere")     → {page: "notfound", params: {path: "/nowhere"}}
//   parseRoute("")              → {page: "status", params: {}}     (the default page)
//   formatRoute("memory", {persona: "p1"}) → "#/memory/p1"
//   navigate(page, params)      → sets location.hash (a history entry: back/forward work)
//   useRoute()                  → the current route, re-rendered on hashchange
//
// Ids in paths are URI-encoded, so any persona id survives the round trip.
import { useEffect, useState } from "./preact.js";

export const DEFAULT_PAGE = "status";

// page → the names of its path segments after the page, in order; all optional.
export const ROUTES = {
  chat: ["persona", "conversation"],
  personas: ["persona"],
  memory: ["persona"],
  plugins: [],
  tasks: [],
  dashboard: [],
  performance: ["run"],
  settings: [],
  status: [],
};

function decode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null; // a malformed %-escape
  }
}

/** The route a location hash names: {page, params}; unknown paths give page "notfound". */
export function parseRoute(hash) {
  const path = String(hash ?? "").replace(/^#/, "").replace(/^\/+/, "").replace(/\/+$/, "");
  if (path === "") return { page: DEFAULT_PAGE, params: {} };
  const [page, ...rest] = path.split("/");
  const names = Object.hasOwn(ROUTES, page) ? ROUTES[page] : null;
  const values = rest.map(decode);
  if (names === null || values.length > names.length || values.some((v) => !v)) {
    return { page: "notfound", params: { path: `/${path}` } };
  }
  const params = {};
  values.forEach((value, i) => { params[names[i]] = value; });
  return { page, params };
}

/** The hash for a page and its params ("#/chat/p1"); a param missing ends the path. */
export function formatRoute(page, params = {}) {
  if (!Object.hasOwn(ROUTES, page)) throw new Error(`no route for page '${page}'`);
  const parts = [page];
  for (const name of ROUTES[page]) {
    const value = params[name];
    if (value === undefined || value === null || value === "") break;
    parts.push(encodeURIComponent(String(value)));
  }
  return `#/${parts.join("/")}`;
}

/** Goes to a page (a new history entry, so back returns here). */
export function navigate(page, params = {}) {
  const hash = formatRoute(page, params);
  if (location.hash !== hash) location.hash = hash;
}

/** The current route, updated on every hashchange (links, back, forward, navigate). */
export function useRoute() {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const sync = () => setRoute(parseRoute(location.hash));
    window.addEventListener("hashchange", sync);
    return () => window.removeEventListener("hashchange", sync);
  }, []);
  return route;
}
