// The pages other work replaces: each is its own tiny module so that replacing it touches
// nothing else (pages/index.js imports the page, the shell knows nothing of it).
import { html } from "../lib/preact.js";
import { Placeholder } from "../components/Placeholder.js";

/** A page component that shows what is coming. */
export function placeholderPage(title, summary, coming, meanwhile = null) {
  return function PlaceholderPage({ params }) {
    return html`<${Placeholder} title=${title} summary=${summary} coming=${coming}
                        meanwhile=${meanwhile} params=${params} />`;
  };
}
