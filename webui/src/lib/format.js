// Formatting of numbers for people. Every function returns "—" for a missing value.

export const MISSING = "—";
const MIB = 1024 * 1024;

const pad2 = (n) => String(n).padStart(2, "0");

/** Seconds as "12 s", "3 min 07 s", "1 h 02 min 05 s" or "2 d 03 h 04 min 05 s". */
export function formatUptime(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return MISSING;
  const total = Math.floor(seconds);
  const [d, h, m, s] = [
    Math.floor(total / 86400), Math.floor(total / 3600) % 24,
    Math.floor(total / 60) % 60, total % 60,
  ];
  if (d > 0) return `${d} d ${pad2(h)} h ${pad2(m)} min ${pad2(s)} s`;
  if (h > 0) return `${h} h ${pad2(m)} min ${pad2(s)} s`;
  if (m > 0) return `${m} min ${pad2(s)} s`;
  return `${s} s`;
}

/** Bytes as megabytes with one decimal, "84.3 MB" (1 MB = 2^20 bytes, as psutil's RSS). */
export function formatMB(bytes) {
  if (!Number.isFinite(bytes) || bytes < 0) return MISSING;
  return `${(bytes / MIB).toFixed(1)} MB`;
}

/** A percentage with one decimal, "12.5 %". */
export function formatPercent(value) {
  if (!Number.isFinite(value)) return MISSING;
  return `${value.toFixed(1)} %`;
}

/** The first non-empty line of a docstring, trimmed; "" when there is none. */
export function firstLine(text) {
  if (typeof text !== "string") return "";
  return text.split("\n").map((line) => line.trim()).find(Boolean) ?? "";
}

/** Epoch seconds as local "HH:MM:SS" today, else "YYYY-MM-DD HH:MM". */
export function formatTime(seconds, now = Date.now()) {
  if (!Number.isFinite(seconds) || seconds <= 0) return MISSING;
  const date = new Date(seconds * 1000);
  const today = new Date(now);
  const hm = `${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
  if (date.toDateString() === today.toDateString()) return `${hm}:${pad2(date.getSeconds())}`;
  return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())} ${hm}`;
}
