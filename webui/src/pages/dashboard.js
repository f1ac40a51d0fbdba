// Dashboard (issue 11, page 5).
import { placeholderPage } from "./placeholders.js";

export const DashboardPage = placeholderPage("Dashboard", "The hub's resources, live.", [
  "chart memory and CPU of the core, the window and each plugin host",
  "see requests per second, latency and cache hit rates",
  "follow alerts as they are raised and cleared, over an hour, a day or a week",
]);
