// Pages whose modules load when first shown, so the window starts with the shell and the
// first page only (45 files at start-up instead of 86: each is a request to the local server).
//
//   const ChatPage = lazyPage(() => import("../pages/chat.js"), "ChatPage");
//   <${ChatPage} params=${…} />   "Loading…" until the module is in, then the page itself
//   ChatPage.preload()            starts loading it now (after start-up, while idle)
//
// A module that fails to load says so on the page; showing the page again tries again.
import { html, useEffect, useState } from "./preact.js";

/** A component that loads `load()`'s module on first render and renders its export `name`. */
export function lazyPage(load, name) {
  let Page = null; // the page's component, once loaded
  let loading = null; // the import in flight
  const preload = () => {
    loading ??= load().then((module) => {
      if (typeof module[name] !== "function") throw new Error(`the module has no ${name}`);
      Page = module[name];
      return Page;
    }).catch((error) => {
      loading = null; // the next showing tries again
      throw error;
    });
    return loading;
  };

  function LazyPage(props) {
    const [error, setError] = useState(null);
    const [, setLoaded] = useState(Page !== null);
    useEffect(() => {
      if (Page) return undefined;
      let shown = true;
      preload().then(() => shown && setLoaded(true), (e) => shown && setError(e));
      return () => { shown = false; };
    }, []);
    if (Page) return html`<${Page} ...${props} />`;
    if (error) {
      return html`
        <div class="page">
          <p class="inline-error" role="alert" data-testid="page-load-error">
            This page could not load (${String(error?.message ?? error)}). Open it again, or
            reload the window with Ctrl+R.
          </p>
        </div>`;
    }
    return html`<div class="page" aria-busy="true"><p class="muted">Loading…</p></div>`;
  }
  LazyPage.preload = preload;
  return LazyPage;
}

/**
 * Loads every lazy page's module once the window has started: after `started` resolves (the
 * bridge is up, so the first page's calls went first) and a second more, when the window is
 * idle; navigation then waits for no request.
 */
export function preloadLater(pages, started, {
  delayMs = 1000, idle = globalThis.requestIdleCallback, setTimer = setTimeout,
} = {}) {
  const all = () => pages.forEach((page) => page.Page.preload?.().catch(() => undefined));
  started.then(() => setTimer(() => {
    if (typeof idle === "function") idle(all, { timeout: 5000 });
    else all();
  }, delayMs));
}
