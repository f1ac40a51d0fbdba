// An address no page answers to.
import { html } from "../lib/preact.js";

export function NotFoundPage({ params }) {
  return html`
    <div class="page" data-testid="notfound-page">
      <header class="page-head">
        <h2>No such page</h2>
        <p class="muted">Nothing answers to <code>${params.path}</code>.</p>
      </header>
      <p><a href="#/status">Go to Status</a>, or press Ctrl+K to find a page.</p>
    </div>`;
}
