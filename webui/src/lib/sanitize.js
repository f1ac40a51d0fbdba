// The one way untrusted text (model output, cards, plugin results, memories) reaches the page.
//
//   plain text  → render it as a child in htm (`${text}`): Preact sets textContent, never HTML.
//   Markdown    → markdownToHtml(text): marked → DOMPurify, then <Markdown text=…/> sets it.
//   escapeHtml  → for the rare string that must be built by hand.
//
// If DOMPurify cannot run (no DOM, as under node), markdownToHtml falls back to escaped
// text: it never returns unsanitized HTML.
import { marked } from "../../vendor/marked/marked.esm.js";
import DOMPurify from "../../vendor/dompurify/purify.es.mjs";
import { html } from "./preact.js";

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** `text` with the five HTML metacharacters escaped. */
export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

// No inline styles, forms or frames from untrusted Markdown; DOMPurify already drops scripts,
// event handlers and javascript:/data: URLs on links.
const PURIFY = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe"],
  FORBID_ATTR: ["style"],
};

let hooked = false;
function purifier() {
  if (!DOMPurify.isSupported) return null;
  if (!hooked) {
    // Links open outside the hub's window, without handing it an opener.
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
      if (node.tagName === "A" && node.hasAttribute("href")) {
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer");
      }
    });
    hooked = true;
  }
  return DOMPurify;
}

/** Sanitized HTML for an HTML string (drops scripts, handlers, javascript: URLs). */
export function sanitizeHtml(dirty) {
  const purify = purifier();
  if (!purify) return escapeHtml(dirty);
  return purify.sanitize(String(dirty ?? ""), PURIFY);
}

/** Markdown as sanitized HTML, safe to set as innerHTML. */
export function markdownToHtml(text) {
  const source = String(text ?? "");
  if (!purifier()) return escapeHtml(source);
  return sanitizeHtml(marked.parse(source, { async: false, gfm: true, breaks: true }));
}

/** A block of untrusted Markdown, sanitized. */
export function Markdown({ text, testid, class: className = "" }) {
  return html`<div class=${`markdown ${className}`} data-testid=${testid}
                   dangerouslySetInnerHTML=${{ __html: markdownToHtml(text) }}></div>`;
}
