// The pages the nav shows, in order. Add a page here when its service exists.
import { StatusPage } from "./status.js";

export const PAGES = [
  { id: "status", title: "Status", icon: "◉", Page: StatusPage },
];
