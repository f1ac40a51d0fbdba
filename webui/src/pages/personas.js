// Personas (issue 11, page 1): the library at #/personas, a persona's editor at
// #/personas/<id> (and #/personas/new to create one).
import { html } from "../lib/preact.js";
import { PersonaLibrary } from "../components/PersonaLibrary.js";
import { PersonaEditor } from "../components/PersonaEditor.js";

export function PersonasPage({ params = {} }) {
  return params.persona
    ? html`<${PersonaEditor} key=${params.persona} id=${params.persona} />`
    : html`<${PersonaLibrary} />`;
}
