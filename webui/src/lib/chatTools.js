// Plugin calls in the chat, as words and text for the page: a model's tool calls (asked with
// chat.tool_request, recorded on its reply as tool records) and slash commands (a system
// message whose one record has decision "command"). Pure: no DOM, no bridge.
//
// Arguments and outputs come from the model and from plugins: untrusted. These helpers only
// make text of them; the components render that text as text nodes, never as HTML.

const DECISIONS = {
  command: "command",
  once: "allowed once",
  always: "always allowed",
  granted: "allowed: standing permission",
  declined: "declined",
  cancelled: "cancelled: the reply was stopped",
  skipped: "not run",
};

/** What a tool record's decision says to a person ("allowed once", "declined", …). */
export function decisionWords(decision) {
  return DECISIONS[decision] ?? String(decision ?? "");
}

/** How a record reads at a glance: "ok" (ran and returned), "bad" (failed), "off" (not run). */
export function recordTone(record) {
  if (record?.error) return "bad";
  if (record?.output !== null && record?.output !== undefined) return "ok";
  return "off";
}

/** A value, or a JSON text, pretty-printed (two spaces); other text as it is. */
export function prettyJson(value) {
  if (typeof value === "string") {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  try {
    return JSON.stringify(value ?? null, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Whether arguments say anything ({} and null do not). */
export function hasArguments(args) {
  return args !== null && args !== undefined && !(typeof args === "object" && Object.keys(args).length === 0);
}

/**
 * A plugin's output as [[key, text]] rows when it is a small flat JSON object (text-stats'
 * {"words": 3, "sentences": 2}); null otherwise (show it as pretty JSON).
 */
export function outputRows(output, most = 12) {
  let value;
  try {
    value = JSON.parse(String(output ?? ""));
  } catch {
    return null;
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) return null;
  const entries = Object.entries(value);
  if (!entries.length || entries.length > most) return null;
  if (!entries.every(([, v]) => v === null || ["string", "number", "boolean"].includes(typeof v))) return null;
  return entries.map(([k, v]) => [k, v === null ? "null" : String(v)]);
}

/** The slash command's record of a system message ("/stats …" ran), or null. */
export function commandRecord(message) {
  if (message?.role !== "system" || !Array.isArray(message.tools)) return null;
  return message.tools.find((r) => r?.decision === "command") ?? null;
}

/** "/text-stats count": how the command reads, in its long form. */
export function commandTitle(record) {
  return `/${record?.plugin ?? "?"} ${record?.function ?? "?"}`;
}
