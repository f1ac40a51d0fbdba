// The chat page's modal dialogs (model providers, allowed plugins): an overlay that closes
// on a click outside or Esc, a titled panel, a Close button; the first button takes focus.
import { html, useEffect, useRef } from "../lib/preact.js";

/** props: id (of the title), title, testid, class, onClose, children. */
export function ChatDialog({ id, title, testid, class: className = "", onClose, children }) {
  const dialog = useRef(null);
  useEffect(() => { dialog.current?.querySelector("button")?.focus(); }, []);
  // On the window: Esc closes it even when the focused button went away (a row removed).
  useEffect(() => {
    const onKey = (e) => { if (e.key === "Escape") { e.preventDefault(); onClose(); } };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return html`
    <div class="overlay" onClick=${(e) => e.target === e.currentTarget && onClose()}>
      <div class=${`chat-providers ${className}`} role="dialog" aria-modal="true" aria-labelledby=${id}
           data-testid=${testid} ref=${dialog}>
        <div class="chat-inspector-head">
          <h3 id=${id}>${title}</h3>
          <span class="spacer"></span>
          <button class="icon-button" type="button" aria-label="Close" onClick=${onClose}>×</button>
        </div>
        ${children}
      </div>
    </div>`;
}
