// Entry point: the app shell — nav, the page the location hash names, toasts, the quick
// switcher — and the two things every page relies on: a failed call becomes a toast, and
// the theme follows the stored choice or the system.
import { html, render, useEffect } from "./lib/preact.js";
import { onSettled, ready } from "./bridge.js";
import { useRoute } from "./lib/router.js";
import { applyTheme } from "./lib/theme.js";
import { toastError } from "./lib/toast.js";
import { PAGES, pageFor } from "./pages/index.js";
import { preloadLater } from "./lib/lazyPage.js";
import { Nav } from "./components/Nav.js";
import { Toasts } from "./components/Toasts.js";
import { QuickSwitcher } from "./components/QuickSwitcher.js";

function App() {
  const route = useRoute();
  const page = pageFor(route.page);
  useEffect(() => { document.title = `${page.title} · PajamasWeb AI Hub`; }, [page]);
  return html`
    <div class="app">
      <a class="skip-link" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>Skip to the page</a>
      <${Nav} pages=${PAGES} current=${page.id} />
      <main class="content" id="main" tabindex="-1" data-page=${page.id} data-testid="page">
        <${page.Page} key=${`${page.id}`} params=${route.params} />
      </main>
      <${Toasts} />
      <${QuickSwitcher} pages=${PAGES} />
    </div>`;
}

applyTheme();
onSettled((outcome) => {
  if (!outcome.ok && !outcome.quiet) toastError(outcome.error);
});
render(html`<${App} />`, document.getElementById("app"));
preloadLater(PAGES, ready());
