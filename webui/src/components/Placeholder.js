// A page that is not built yet: what it will do, so the nav entry is never a dead end.
import { html } from "../lib/preact.js";

/**
 * Props: title, summary, coming (a list of what the page will offer), meanwhile (how to do it
 * until then), params (the route's).
 */
export function Placeholder({ title, summary, coming, meanwhile, params = {} }) {
  const named = Object.entries(params);
  return html`
    <div class="page" data-testid="placeholder-page">
      <header class="page-head">
        <h2>${title}</h2>
        <p class="muted">${summary}</p>
      </header>
      <section class="panel placeholder" aria-label=${`${title}: coming soon`}>
        <div class="placeholder-badge">Coming soon</div>
        <p>This page is being built. It will let you:</p>
        <ul class="placeholder-list">${coming.map((line) => html`<li key=${line}>${line}</li>`)}</ul>
        ${named.length > 0 && html`
          <p class="muted" data-testid="placeholder-params">
            Opened for ${named.map(([k, v]) => `${k} ${v}`).join(", ")}.
          </p>`}
        ${meanwhile && html`<p class="muted">${meanwhile}</p>`}
      </section>
    </div>`;
}
