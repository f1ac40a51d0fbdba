// The personas page's pure helpers (node-tested): the library's query from the toolbar's
// state, the tag filter's three states, the editor's card form and its checks, token counts.

export const SORTS = [
  { value: "name", label: "Name" },
  { value: "created", label: "Created" },
  { value: "last_used", label: "Last used" },
  { value: "memories", label: "Memories" },
];

// A tag filter chip cycles off → include → exclude → off.
const NEXT_TAG_STATE = { off: "include", include: "exclude", exclude: "off" };

/** The next state of a tag chip. */
export function nextTagState(state) {
  return NEXT_TAG_STATE[state ?? "off"] ?? "include";
}

/** persona.list's params from the toolbar: {query?, sort, tags_include?, tags_exclude?, favourite?}. */
export function libraryParams({ query = "", sort = "name", tags = {}, favourites = false }) {
  const params = { sort };
  const text = query.trim();
  if (text) params.query = text;
  const include = Object.keys(tags).filter((t) => tags[t] === "include");
  const exclude = Object.keys(tags).filter((t) => tags[t] === "exclude");
  if (include.length) params.tags_include = include;
  if (exclude.length) params.tags_exclude = exclude;
  if (favourites) params.favourite = true;
  return params;
}

/**
 * About how many tokens a text is: a cheap estimate (one token per 4 characters, the rule of
 * thumb for English with BPE tokenizers), not the model's own count.
 */
export function estimateTokens(text) {
  return Math.ceil(String(text ?? "").length / 4);
}

export const TEXT_FIELDS = [
  { name: "description", label: "Description", long: true },
  { name: "personality", label: "Personality", long: true },
  { name: "scenario", label: "Scenario", long: true },
  { name: "first_mes", label: "First message", long: true },
  { name: "mes_example", label: "Example messages", long: true },
  { name: "system_prompt", label: "System prompt", long: true },
  { name: "post_history_instructions", label: "Post-history instructions", long: true },
  { name: "creator_notes", label: "Creator notes", long: true },
  { name: "creator", label: "Creator" },
  { name: "character_version", label: "Character version" },
];

export const POSITIONS = ["before_char", "after_char"];

/** A new lorebook entry, as the V2 spec's defaults. */
export function newEntry(order = 100) {
  return { keys: [], content: "", enabled: true, insertion_order: order, priority: 10,
    constant: false, position: "before_char", extensions: {} };
}

/** The editor's form of a card's data: every V2 field with its empty value where missing. */
export function cardForm(data = {}) {
  const form = { name: "", tags: [], alternate_greetings: [], extensions: {}, ...data };
  TEXT_FIELDS.forEach(({ name }) => { form[name] = form[name] ?? ""; });
  const book = data.character_book;
  form.character_book = book ? { ...book, entries: (book.entries ?? []).map((e) => ({ ...e })) } : null;
  return form;
}

/** "a, b ,, c" → ["a", "b", "c"]. */
export function splitList(text) {
  return String(text ?? "").split(",").map((s) => s.trim()).filter(Boolean);
}

/** The problems of a card form, by field ({} when it can be saved). */
export function checkCardForm(form) {
  const problems = {};
  const name = (form.name ?? "").trim();
  if (!name) problems.name = "A persona needs a name.";
  else if (name.length > 100) problems.name = "A name has at most 100 characters.";
  if ((form.tags ?? []).some((t) => t.length > 60)) problems.tags = "A tag has at most 60 characters.";
  (form.character_book?.entries ?? []).forEach((entry, i) => {
    for (const field of ["insertion_order", "priority"]) {
      if (entry[field] !== undefined && !Number.isInteger(entry[field])) {
        problems[`entry-${i}-${field}`] = `Entry ${i + 1}: ${field.replace("_", " ")} must be a whole number.`;
      }
    }
    if (!String(entry.content ?? "").trim()) problems[`entry-${i}-content`] = `Entry ${i + 1} has no content.`;
  });
  return problems;
}

/** The card data to send: the form, names trimmed, a lorebook without entries kept as it came. */
export function cardData(form) {
  return { ...form, name: form.name.trim(), tags: form.tags.map((t) => t.trim()).filter(Boolean) };
}

/** A file's bytes as base64 (chunked: String.fromCharCode takes only so many arguments). */
export function bytesToBase64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** base64 → bytes. */
export function base64ToBytes(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A persona's initials, for a row without a thumbnail. */
export function initials(name) {
  return String(name ?? "").split(/\s+/).filter(Boolean).slice(0, 2)
    .map((w) => w[0].toUpperCase()).join("") || "?";
}

/** "3 memories", "1 memory", "memories not counted yet". */
export function memoryLabel(count) {
  if (count === null || count === undefined) return "memories not counted yet";
  return `${count} ${count === 1 ? "memory" : "memories"}`;
}

/** What a delete takes, in words, from persona.usage. */
export function usageWords(usage) {
  const parts = [memoryLabel(usage?.memories ?? null)];
  for (const [kind, count] of Object.entries(usage ?? {})) {
    if (kind === "memories") continue;
    const noun = kind === "plugins" ? "enabled plugins' state" : kind;
    parts.push(`${count} ${noun}`);
  }
  return parts.join(", ");
}

// One persona.import_files call stays well under the core's 16 MB message limit
// (base64 adds a third): at most this many bytes of files, or this many files.
export const BATCH_BYTES = 6 * 1024 * 1024;
export const BATCH_FILES = 100;

/** Files ({size}) in import batches, in order; a file over the limit goes alone. */
export function importBatches(files, maxBytes = BATCH_BYTES, maxFiles = BATCH_FILES) {
  const batches = [];
  let batch = [];
  let bytes = 0;
  for (const file of files) {
    if (batch.length && (bytes + file.size > maxBytes || batch.length >= maxFiles)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(file);
    bytes += file.size;
  }
  if (batch.length) batches.push(batch);
  return batches;
}

/** Two import results as one. */
export function mergeResults(a, b) {
  if (!a) return b;
  return { items: [...a.items, ...b.items], imported: a.imported + b.imported,
    skipped: a.skipped + b.skipped };
}
