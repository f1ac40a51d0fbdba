// The plugins page's pure helpers: a manifest's permissions and quotas in words, call args
// checked before sending, the live hosts table (from plugin.* events and monitor.sample) and
// the kill history's reasons. No DOM; node-tested (tests/webui/plugins.test.mjs).

/** The permissions, in words, of a plugin map's `permissions` (what it may do). */
export function describePermissions(permissions = {}) {
  const words = [];
  if (permissions.memory_read) words.push("may read this persona's memory (search it)");
  if (permissions.memory_write) words.push("may add memories to this persona");
  if (permissions.network) words.push("may reach the network (the internet and your local network)");
  if (words.length === 0) words.push("none: it cannot read or write memory nor reach the network");
  return words;
}

/** Whether a plugin asks for anything beyond computing on what it is given. */
export function asksForPermissions(permissions = {}) {
  return Boolean(permissions.memory_read || permissions.memory_write || permissions.network);
}

const QUOTA_WORDS = [
  ["memory_mb", (v) => `up to ${v} MB of memory`],
  ["cpu_s", (v) => `${v} s of CPU per call`],
  ["wall_s", (v) => `${v} s of wall time per call`],
  ["processes", (v) => (v === 0 ? "no processes of its own" : `${v} ${v === 1 ? "process" : "processes"} of its own`)],
  ["open_files", (v) => `${v} open files`],
  ["output_kb", (v) => `${formatKB(v)} of output per call`],
  ["disk_mb", (v) => `${v} MB of scratch disk`],
];

function formatKB(kb) {
  return kb >= 1024 && kb % 1024 === 0 ? `${kb / 1024} MB` : `${kb} KB`;
}

/** The quotas, in words, one phrase per quota: ["up to 256 MB of memory", "5 s of CPU per call", …]. */
export function describeQuotas(quotas = {}) {
  return QUOTA_WORDS.filter(([key]) => Number.isFinite(quotas[key])).map(([key, say]) => say(quotas[key]));
}

/** Each quota's lowest value (as the manifest's rules: docs/plugins.md). */
export const QUOTA_MINIMUM = { memory_mb: 16, cpu_s: 1, wall_s: 1, processes: 0, open_files: 8, output_kb: 1, disk_mb: 1 };
export const QUOTA_KEYS = Object.keys(QUOTA_MINIMUM);

/**
 * The quotas a persona lowers, checked against the plugin's own: drafts are the form's texts
 * by quota ("" keeps the plugin's). {ok: true, value: {quota: n}} (only the lowered ones), or
 * {ok: false, errors: {quota: message}}.
 */
export function checkLowered(drafts, own) {
  const value = {};
  const errors = {};
  for (const key of QUOTA_KEYS) {
    const text = String(drafts[key] ?? "").trim();
    if (!text || !Number.isFinite(own[key])) continue;
    const n = Number(text);
    if (!Number.isInteger(n)) errors[key] = `${key} must be a whole number`;
    else if (n < QUOTA_MINIMUM[key]) errors[key] = `${key} must be at least ${QUOTA_MINIMUM[key]}`;
    else if (n > own[key]) errors[key] = `${key} can only be lowered: at most ${own[key]}`;
    else if (n < own[key]) value[key] = n;
  }
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, value };
}

/** A quota's value in its unit, in words ("64 MB", "5 s", "3 processes"). */
export function quotaValue(quota, value) {
  if (!Number.isFinite(value)) return "?";
  const units = { memory_mb: "MB", disk_mb: "MB", cpu_s: "s", wall_s: "s", output_kb: "KB" };
  if (units[quota]) return `${value} ${units[quota]}`;
  return `${value}`;
}

const QUOTA_NAMES = {
  memory_mb: "memory", cpu_s: "CPU time", wall_s: "wall time", processes: "processes",
  open_files: "open files", output_kb: "output", disk_mb: "disk",
};

/** Why a host was killed, in words, from a kill ({reason, quota?, limit?, measured?, message?}). */
export function killReason(kill) {
  if (!kill) return "";
  if (kill.reason === "quota" && kill.quota) {
    const name = QUOTA_NAMES[kill.quota] ?? kill.quota;
    const measured = Number.isFinite(kill.measured) ? `, measured ${quotaValue(kill.quota, kill.measured)}` : "";
    return `over its ${name} quota (${kill.quota}): limit ${quotaValue(kill.quota, kill.limit)}${measured}`;
  }
  const words = {
    timeout: "took longer than its wall time", signal: "crashed (killed by a signal)",
    exit: "its host exited during the call", protocol: "broke its channel's format",
    heartbeat: "stopped responding", modified: "its files were modified after install",
    exception: "failed to load", disabled: "stopped during the call",
  };
  return words[kill.reason] ?? String(kill.reason ?? "killed");
}

/**
 * The JSON args of a call, checked: {ok: true, value} (a map), or {ok: false, error} saying
 * what is wrong. An empty text is no args ({}).
 */
export function parseArgs(text) {
  const source = String(text ?? "").trim();
  if (!source) return { ok: true, value: {} };
  let value;
  try {
    value = JSON.parse(source);
  } catch (error) {
    return { ok: false, error: `not valid JSON: ${error.message}` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, error: "args must be a JSON object of keyword arguments, like {\"text\": \"Hello\"}" };
  }
  return { ok: true, value };
}

/**
 * A call's wall-time limit in seconds, checked: {ok, value} (null: the quota's), or {ok:
 * false, error}. The core only lets a call lower the manifest's wall_s.
 */
export function parseTimeout(text, wallS) {
  const source = String(text ?? "").trim();
  if (!source) return { ok: true, value: null };
  const value = Number(source);
  if (!Number.isFinite(value) || value <= 0) return { ok: false, error: "the wall time limit must be a positive number of seconds" };
  if (Number.isFinite(wallS) && value > wallS) return { ok: false, error: `the wall time limit can only be lowered: at most ${wallS} s` };
  return { ok: true, value };
}

/** A call's result as text for people: a string as it is, anything else as indented JSON. */
export function resultText(result) {
  if (typeof result === "string") return result;
  try {
    return JSON.stringify(result, null, 2) ?? String(result);
  } catch {
    return String(result);
  }
}

// ---- The live hosts table --------------------------------------------------------------

/** The key of a host: its persona and plugin. */
export const hostKey = (persona, name) => `${persona}\u0000${name}`;

/** A hosts map (key → host) from plugin.status's items. */
export function hostsFromStatus(items = []) {
  return new Map(items.map((host) => [hostKey(host.persona, host.name), { ...host }]));
}

/**
 * The hosts map after a plugin.* event {topic, time, data}; the same map when the event
 * changes nothing in it (plugin.log, plugin.progress). Never mutates `hosts`.
 */
export function applyHostEvent(hosts, { topic, time, data }) {
  if (!data || typeof data.persona !== "string" || typeof data.name !== "string") return hosts;
  const key = hostKey(data.persona, data.name);
  const old = hosts.get(key);
  const base = old ?? { persona: data.persona, name: data.name, pid: data.pid ?? 0, state: "starting",
    rss: 0, cpu_percent: 0, calls: 0, kills: 0, started_at: null };
  let host;
  if (topic === "plugin.started") {
    host = { ...base, pid: data.pid, state: "idle", rss: 0, cpu_percent: 0, started_at: time ?? Date.now() / 1000 };
  } else if (topic === "plugin.stopped") {
    host = { ...base, state: data.reason === "disabled" ? "disabled" : "stopped", cpu_percent: 0 };
  } else if (topic === "plugin.killed") {
    host = { ...base, state: "killed", kills: (base.kills ?? 0) + 1, cpu_percent: 0 };
  } else if (topic === "plugin.progress" && old && old.state === "idle") {
    host = { ...base, state: "busy" };
  } else {
    return hosts;
  }
  const next = new Map(hosts);
  next.set(key, host);
  return next;
}

/** The hosts map with the RSS and CPU of a monitor.sample's plugin processes; same map if none changed. */
export function applySample(hosts, sample) {
  const processes = (sample?.processes ?? []).filter((p) => p.role === "plugin");
  if (processes.length === 0 || hosts.size === 0) return hosts;
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  let next = null;
  for (const [key, host] of hosts) {
    const found = byPid.get(host.pid);
    if (!found || !["idle", "busy", "starting"].includes(host.state)) continue;
    next = next ?? new Map(hosts);
    next.set(key, { ...host, rss: found.rss, cpu_percent: found.cpu_percent });
  }
  return next ?? hosts;
}

/** The hosts as table rows: live ones first, then by persona and plugin. */
export function hostRows(hosts) {
  const live = (h) => (["idle", "busy", "starting"].includes(h.state) ? 0 : 1);
  return [...hosts.values()].sort((a, b) => live(a) - live(b)
    || a.persona.localeCompare(b.persona) || a.name.localeCompare(b.name));
}

/** The kill history with a plugin.killed event added first, at most `max` kept. */
export function addKill(kills, { time, data }, max = 200) {
  return [{ time: time ?? Date.now() / 1000, ...data }, ...kills].slice(0, max);
}
