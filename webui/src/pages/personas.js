// Personas: the library at #/personas, a persona's editor at
// #/personas/<id> (and #/personas/new to create one).
import { html } from "../lib/preact.js";
import { navigate } from "../lib/router.js";
import { showToast } from "../lib/toast.js";
import { PersonaLibrary } from "../components/PersonaLibrary.js";
import { PersonaEditor } from "../components/PersonaEditor.js";

export function PersonasPage({ params = {} }) {
  return params.persona
    ? html`<${PersonaEditor} key=${params.persona} id=${params.persona} />`
    : html`<${PersonaLibrary} />`;
}

// Files dropped anywhere else in the window would make the web view open them in place of
// the app: the library takes drops (it handles them first); elsewhere, it is where to go.
const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes("Files");
if (typeof window !== "undefined") { // not under node's unit tests
  window.addEventListener("dragover", (event) => { if (hasFiles(event)) event.preventDefault(); });
  window.addEventListener("drop", (event) => {
    if (!hasFiles(event) || event.defaultPrevented) return;
    event.preventDefault();
    navigate("personas", {});
    showToast({ kind: "info", title: "Drop cards on the library",
      message: "Card files import when dropped on the Personas page: drop them again here." });
  });
}
