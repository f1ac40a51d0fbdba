// Chat: comes with its own issue (docs/protocol.md, "Chat and providers").
import { placeholderPage } from "./placeholders.js";

export const ChatPage = placeholderPage("Chat", "Talk with a persona.", [
  "chat with any persona, its replies streamed as they are written",
  "keep, rename and reopen conversations",
  "see what memories and plugins each reply used",
], "The core already chats: any client can use its provider and chat methods, which "
   + "docs/protocol.md describes under \"Chat and providers\".");
