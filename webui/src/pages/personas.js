// Personas: the library (issue 11, page 1).
import { placeholderPage } from "./placeholders.js";

export const PersonasPage = placeholderPage("Personas", "Your library of personas.", [
  "search, sort and filter thousands of personas by tag, with favourites",
  "create and edit every Character Card V2 field, lorebook included",
  "import PNG and JSON cards by dropping them on the window; export them again",
]);
