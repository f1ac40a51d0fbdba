// Performance (issue 11, page 6).
import { placeholderPage } from "./placeholders.js";

export const PerformancePage = placeholderPage("Performance", "The performance suite.", [
  "run all benchmarks, a suite or chosen ones, with live progress",
  "read a run's report: medians, p95, targets and verdicts",
  "compare two runs side by side",
]);
