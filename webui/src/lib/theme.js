// Light and dark themes. The choice is "system" (follow prefers-color-scheme), "light" or
// "dark", kept in localStorage; the effective theme is set as <html data-theme="…">, which
// styles.css keys its CSS variables on.
//
//   getThemeChoice() → "system" | "light" | "dark"
//   setThemeChoice(choice)   persists and applies it
//   effectiveTheme(choice, systemDark) → "light" | "dark"   (pure)
//   applyTheme()     applies the stored choice and follows system changes (call once at start)
//   onThemeChange(fn) → unsubscribe; fn(choice, effective) after each change

export const THEME_KEY = "pajamas.theme";
export const THEME_CHOICES = ["system", "light", "dark"];
const listeners = new Set();

/** The theme shown for a choice, given whether the system prefers dark. */
export function effectiveTheme(choice, systemDark) {
  if (choice === "light" || choice === "dark") return choice;
  return systemDark ? "dark" : "light";
}

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled: the choice lasts for this page only
  }
}

let sessionChoice = "system";

/** The stored choice, "system" if none (or an unknown value) is stored. */
export function getThemeChoice() {
  const stored = storage()?.getItem(THEME_KEY) ?? sessionChoice;
  return THEME_CHOICES.includes(stored) ? stored : "system";
}

function systemQuery() {
  return window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
}

function apply() {
  const choice = getThemeChoice();
  const theme = effectiveTheme(choice, Boolean(systemQuery()?.matches));
  document.documentElement.dataset.theme = theme;
  listeners.forEach((fn) => fn(choice, theme));
}

/** Stores and applies a choice. */
export function setThemeChoice(choice) {
  if (!THEME_CHOICES.includes(choice)) throw new Error(`unknown theme '${choice}'`);
  sessionChoice = choice;
  storage()?.setItem(THEME_KEY, choice);
  apply();
}

/** Applies the stored choice now and whenever the system's preference changes. */
export function applyTheme() {
  apply();
  systemQuery()?.addEventListener?.("change", apply);
}

/** Calls fn(choice, effective) after each change; returns an unsubscribe. */
export function onThemeChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
