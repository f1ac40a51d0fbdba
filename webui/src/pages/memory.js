// Memory, per persona (issue 11, page 2).
import { placeholderPage } from "./placeholders.js";

export const MemoryPage = placeholderPage("Memory", "What each persona remembers.", [
  "scroll every memory of a persona, newest first, at any count",
  "search by meaning or words, edit, add and delete memories",
  "inspect the context a query packs, and run maintenance as tasks",
]);
