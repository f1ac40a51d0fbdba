// Pure helpers of the memory page (node-tested): the query's words, a text split into
// highlighted parts (rendered as text nodes and <mark>, never as HTML), the metadata filter
// typed as key=value pairs, dates of <input type="datetime-local">, and the delete queue
// with its undo window.

/** The query's distinct words (letters and digits), lowercased, longest first. */
export function queryWords(query) {
  const words = String(query ?? "").toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words)].sort((a, b) => b.length - a.length);
}

/**
 * text split into [{text, match}] where match marks an occurrence of one of the query's words
 * (case-insensitive, at a word's start). Concatenating the parts' text gives text back.
 */
export function highlightParts(text, query) {
  const source = String(text ?? "");
  const words = queryWords(query);
  if (!words.length || !source) return [{ text: source, match: false }];
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${escaped.join("|")})`, "giu");
  const parts = [];
  let at = 0;
  for (const found of source.matchAll(pattern)) {
    if (found.index > at) parts.push({ text: source.slice(at, found.index), match: false });
    parts.push({ text: found[0], match: true });
    at = found.index + found[0].length;
  }
  if (at < source.length) parts.push({ text: source.slice(at), match: false });
  return parts.length ? parts : [{ text: source, match: false }];
}

/** The distinct query words found in text (what a result matched), in the query's order. */
export function matchedWords(text, query) {
  const found = new Set(highlightParts(text, query).filter((p) => p.match).map((p) => p.text.toLowerCase()));
  const order = String(query ?? "").toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(order)].filter((word) => [...found].some((f) => f.startsWith(word)));
}

function scalar(raw) {
  const value = raw.trim();
  if (value === "true") return true;
  if (value === "false") return false;
  if (value === "null") return null;
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value.replace(/^"(.*)"$/, "$1");
}

/**
 * Whether to search now, as the person types: `{params}` to apply (null: no search, the whole
 * list), or null to leave things as they are. The wanted search goes at once unless the one
 * applied is still in flight (busy); then it waits, and only the latest wanted goes after.
 */
export function nextSearch(wanted, applied, busy) {
  const same = (wanted ? JSON.stringify(wanted) : "") === (applied ? JSON.stringify(applied) : "");
  return same || busy ? null : { params: wanted };
}

/**
 * "topic=food, rating=5" → {value: {topic: "food", rating: 5}} (numbers, true/false/null
 * typed; quotes keep a value a string), or {error} naming what is wrong. Empty → {value: null}.
 */
export function parseFilter(input) {
  const text = String(input ?? "").trim();
  if (!text) return { value: null };
  const value = {};
  for (const pair of text.split(/[,;\n]/).map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf("=");
    if (eq < 1) return { error: `"${pair}" is not key=value` };
    const key = pair.slice(0, eq).trim();
    if (!key) return { error: `"${pair}" has no key` };
    value[key] = scalar(pair.slice(eq + 1));
  }
  return { value };
}

/** Metadata (a map) as a JSON text for editing; parseMetadata reads it back. */
export function formatMetadata(metadata) {
  return JSON.stringify(metadata ?? {}, null, 2);
}

/** A JSON object text → {value} or {error}. */
export function parseMetadata(text) {
  const trimmed = String(text ?? "").trim();
  if (!trimmed) return { value: {} };
  try {
    const value = JSON.parse(trimmed);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return { error: "metadata must be a JSON object, like {\"topic\": \"food\"}" };
    }
    return { value };
  } catch (failure) {
    return { error: `metadata is not JSON: ${failure.message}` };
  }
}

/** importance text → {value} in 0..1, or {error}. */
export function parseImportance(text) {
  const value = Number(String(text ?? "").trim());
  if (String(text ?? "").trim() === "" || !Number.isFinite(value) || value < 0 || value > 1) {
    return { error: "importance is a number from 0 to 1" };
  }
  return { value };
}

/** A datetime-local value ("2026-12-02T10:30") → epoch seconds, or null when empty/invalid. */
export function localToSeconds(value) {
  if (!value) return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms / 1000 : null;
}

/**
 * The delete queue: a delete is sent only when its undo window ends (or at flush, when the
 * page goes), so an undo never has to re-create anything and no acknowledged memory is lost.
 *   const queue = createDeleteQueue({ send: (ids) => Promise, delayMs, onChange })
 *   queue.schedule(ids)  → a batch key; queue.undo(key); queue.pending(id) → bool; queue.flush()
 */
export function createDeleteQueue({
  send, delayMs = 5000, onChange = () => {}, setTimer = setTimeout, clearTimer = clearTimeout,
}) {
  const batches = new Map(); // key → {ids, timer}
  let next = 0;
  function fire(key) {
    const batch = batches.get(key);
    if (!batch) return Promise.resolve();
    batches.delete(key);
    clearTimer(batch.timer);
    onChange();
    return send(batch.ids);
  }
  return {
    schedule(ids) {
      const key = ++next;
      batches.set(key, { ids: [...ids], timer: setTimer(() => { fire(key).catch(() => undefined); }, delayMs) });
      onChange();
      return key;
    },
    undo(key) {
      const batch = batches.get(key);
      if (!batch) return false;
      clearTimer(batch.timer);
      batches.delete(key);
      onChange();
      return true;
    },
    pending(id) {
      for (const batch of batches.values()) if (batch.ids.includes(id)) return true;
      return false;
    },
    size() { return batches.size; },
    flush() { return Promise.all([...batches.keys()].map((key) => fire(key).catch(() => undefined))); },
  };
}
