// The quick switcher's entries (pages and personas) and its filter. Pure, node-tested.
import { formatRoute } from "./router.js";

export const MAX_ENTRIES = 50;

/** Entries {key, kind, label, detail, hash}: every page, then every persona (its chat). */
export function switcherEntries(pages, personas = []) {
  const pageEntries = pages.map((page) => ({
    key: `page:${page.id}`, kind: "page", label: page.title, detail: "Page",
    hash: formatRoute(page.id),
  }));
  const personaEntries = personas.map((persona) => ({
    key: `persona:${persona.id}`, kind: "persona", label: persona.name,
    detail: "Persona", hash: formatRoute("personas", { persona: persona.id }),
  }));
  return [...pageEntries, ...personaEntries];
}

function rank(label, needle) {
  const text = label.toLowerCase();
  if (text.startsWith(needle)) return 0;
  if (text.split(/[\s_-]+/).some((word) => word.startsWith(needle))) return 1;
  if (text.includes(needle)) return 2;
  return -1;
}

/** The entries matching query (prefix, then word prefix, then substring), at most `max`. */
export function filterEntries(entries, query, max = MAX_ENTRIES) {
  const needle = String(query ?? "").trim().toLowerCase();
  if (!needle) return entries.slice(0, max);
  return entries
    .map((entry, index) => ({ entry, index, score: rank(entry.label, needle) }))
    .filter((item) => item.score >= 0)
    .sort((a, b) => a.score - b.score || a.index - b.index)
    .slice(0, max)
    .map((item) => item.entry);
}

/** The active index after a key (ArrowDown/ArrowUp/Home/End) in a list of `count`. */
export function moveActive(active, key, count) {
  if (count === 0) return -1;
  if (key === "ArrowDown") return (active + 1) % count;
  if (key === "ArrowUp") return (active - 1 + count) % count;
  if (key === "Home") return 0;
  if (key === "End") return count - 1;
  return active;
}
