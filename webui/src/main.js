// Entry point: the app shell (nav, connection, error banner) around the current page.
import { html, render, useEffect, useState } from "./lib/preact.js";
import { PAGES } from "./pages/index.js";
import { ConnectionIndicator } from "./components/ConnectionIndicator.js";
import { ErrorBanner } from "./components/ErrorBanner.js";

/** The page named by the location hash ("#status"), else the first page. */
function pageFromHash() {
  const id = location.hash.replace(/^#\/?/, "");
  return PAGES.find((page) => page.id === id) ?? PAGES[0];
}

function App() {
  const [page, setPage] = useState(pageFromHash);
  useEffect(() => {
    const sync = () => setPage(pageFromHash());
    window.addEventListener("hashchange", sync);
    return () => window.removeEventListener("hashchange", sync);
  }, []);
  return html`
    <div class="app">
      <${Nav} current=${page} />
      <main class="content">
        <${ErrorBanner} />
        <${page.Page} />
      </main>
    </div>`;
}

function Nav({ current }) {
  return html`
    <nav class="nav" aria-label="Pages">
      <div class="brand"><span class="brand-mark" aria-hidden="true">◐</span> PajamasWeb <b>AI Hub</b></div>
      ${PAGES.map((page) => html`
        <button key=${page.id} class="nav-item" data-testid=${`nav-${page.id}`}
                aria-current=${page === current ? "page" : null}
                onClick=${() => { location.hash = page.id; }}>
          <span class="nav-icon" aria-hidden="true">${page.icon}</span>${page.title}
        </button>`)}
      <div class="nav-foot"><${ConnectionIndicator} /></div>
    </nav>`;
}

render(html`<${App} />`, document.getElementById("app"));
