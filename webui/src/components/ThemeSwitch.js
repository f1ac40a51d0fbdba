// The theme picker: follow the system, or light, or dark (lib/theme.js keeps the choice).
import { html, useEffect, useState } from "../lib/preact.js";
import { getThemeChoice, onThemeChange, setThemeChoice } from "../lib/theme.js";

const LABELS = { system: "System", light: "Light", dark: "Dark" };

export function ThemeSwitch() {
  const [choice, setChoice] = useState(getThemeChoice);
  useEffect(() => onThemeChange((next) => setChoice(next)), []);
  return html`
    <label class="theme-switch">
      <span class="muted">Theme</span>
      <select class="input select" aria-label="Theme" data-testid="theme-select" value=${choice}
              onChange=${(e) => setThemeChoice(e.currentTarget.value)}>
        ${Object.entries(LABELS).map(([value, label]) => html`
          <option value=${value} selected=${value === choice}>${label}</option>`)}
      </select>
    </label>`;
}
