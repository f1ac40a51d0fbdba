// The side navigation: one link per page (its accessible name is exactly the page's title),
// the number of running tasks beside Tasks, the theme and the connection at the foot.
import { html } from "../lib/preact.js";
import { call } from "../bridge.js";
import { formatRoute } from "../lib/router.js";
import { createRunningCount } from "../lib/tasks.js";
import { useListStore, useStoreSnapshot } from "../lib/useStore.js";
import { ConnectionIndicator } from "./ConnectionIndicator.js";
import { ThemeSwitch } from "./ThemeSwitch.js";
import { useEffect } from "../lib/preact.js";

function useRunningTasks() {
  const store = useListStore(() => createRunningCount(call), []);
  useEffect(() => { store.ensure(0, 1).catch(() => undefined); }, [store]);
  return useStoreSnapshot(store)?.total ?? 0;
}

export function Nav({ pages, current }) {
  const running = useRunningTasks();
  return html`
    <nav class="nav" aria-label="Pages">
      <div class="brand"><span class="brand-mark" aria-hidden="true">◐</span> PajamasWeb <b>AI Hub</b></div>
      <ul class="nav-list">
        ${pages.map((page) => html`
          <li key=${page.id}>
            <a class="nav-item" href=${formatRoute(page.id)} data-testid=${`nav-${page.id}`}
               aria-label=${page.title} aria-current=${page.id === current ? "page" : null}
               aria-describedby=${page.id === "tasks" && running > 0 ? "nav-tasks-running" : null}>
              <span class="nav-icon" aria-hidden="true">${page.icon}</span>
              <span class="nav-title">${page.title}</span>
              ${page.id === "tasks" && running > 0 && html`
                <span class="nav-badge" id="nav-tasks-running" data-testid="nav-tasks-running"
                      title=${`${running} running`}>${running}<span class="visually-hidden"> running</span></span>`}
            </a>
          </li>`)}
      </ul>
      <p class="nav-hint muted"><kbd>Ctrl</kbd>+<kbd>K</kbd> to switch</p>
      <div class="nav-foot">
        <${ThemeSwitch} />
        <${ConnectionIndicator} />
      </div>
    </nav>`;
}
