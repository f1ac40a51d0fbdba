// A persona's conversations, newest first (chat.list), beside the open one: new, rename,
// delete (asked first), export (chat.export → the native save dialog or a download) and
// import of SillyTavern chat files (the native dialog, the file input, or a drop).
import { html, useEffect, useRef, useState } from "../lib/preact.js";
import { call, chooseFiles, hasFileDialogs, saveFile } from "../bridge.js";
import { formatRoute, navigate } from "../lib/router.js";
import { formatTime } from "../lib/format.js";
import { showToast } from "../lib/toast.js";
import { exportName } from "../lib/chatStore.js";
import { base64ToText, textToBase64 } from "../lib/chatFiles.js";
import { VirtualList } from "./VirtualList.js";

const CHAT_KINDS = ["SillyTavern chats (*.jsonl)", "All files (*.*)"];

/** Imports chat files [{name, text}] as conversations of the persona; opens the last one. */
async function importChats(persona, files, onChanged) {
  let last = null;
  for (const file of files) {
    try {
      last = await call("chat.import", { persona, jsonl: file.text });
      showToast({ kind: "ok", title: "Imported", message: `${file.name} is now “${last.title}”.` });
    } catch {
      // toasted by the shell, with the line that is broken
    }
  }
  onChanged();
  if (last) navigate("chat", { persona, conversation: last.id });
}

/** Saves a conversation as a SillyTavern chat file; toasts where it went. */
export async function exportChat(conversation) {
  const { jsonl } = await call("chat.export", { conversation: conversation.id });
  const name = exportName(conversation.title);
  const data = textToBase64(jsonl);
  if (hasFileDialogs()) {
    const saved = await saveFile(name, data);
    if (saved) showToast({ kind: "ok", title: "Exported", message: `Saved ${saved.path}.` });
    return;
  }
  const link = document.createElement("a");
  link.href = `data:application/jsonl;base64,${data}`;
  link.download = name;
  link.click();
}

export function ChatConversations({ persona, store, snap, current, onNew, onChanged }) {
  const input = useRef(null);
  const [dragging, setDragging] = useState(false);
  const [renaming, setRenaming] = useState(null); // conversation id
  const [confirming, setConfirming] = useState(null); // conversation id
  const total = snap?.total;

  async function chooseImport() {
    if (!hasFileDialogs()) { input.current?.click(); return; }
    try {
      const chosen = await chooseFiles(CHAT_KINDS);
      await importChats(persona, chosen.map((f) => ({ name: f.name, text: base64ToText(f.data) })), onChanged);
    } catch (error) {
      showToast({ kind: "error", title: "Import failed", message: String(error?.message ?? error) });
    }
  }
  async function fromFiles(fileList) {
    const files = await Promise.all([...fileList].map(async (f) => ({ name: f.name, text: await f.text() })));
    await importChats(persona, files, onChanged);
  }
  async function rename(conversation, title) {
    setRenaming(null);
    if (!title.trim() || title.trim() === conversation.title) return;
    try {
      await call("chat.update", { conversation: conversation.id, title: title.trim() });
      onChanged();
    } catch {
      // toasted by the shell
    }
  }
  async function remove(conversation) {
    setConfirming(null);
    try {
      await call("chat.delete", { conversation: conversation.id });
      showToast({ kind: "ok", title: "Deleted", message: `“${conversation.title}” is deleted.` });
      onChanged();
      if (conversation.id === current) navigate("chat", { persona });
    } catch {
      // toasted by the shell
    }
  }

  const row = (c) => {
    if (!c) return html`<div class="chat-conv placeholder-row" aria-busy="true">Loading…</div>`;
    const selected = c.id === current;
    if (renaming === c.id) {
      return html`<${RenameForm} title=${c.title} onDone=${(title) => rename(c, title)} />`;
    }
    if (confirming === c.id) {
      return html`
        <div class="chat-conv chat-confirm" role="alertdialog" aria-label=${`Delete “${c.title}”?`} data-testid="chat-conv-confirm">
          <span class="truncate">Delete “${c.title}” and its ${c.messages} messages?</span>
          <span class="chat-conv-actions">
            <button class="button danger" type="button" data-testid="chat-conv-confirm-delete" onClick=${() => remove(c)}>Delete</button>
            <button class="button" type="button" onClick=${() => setConfirming(null)}>Cancel</button>
          </span>
        </div>`;
    }
    return html`
      <div class=${`chat-conv${selected ? " selected" : ""}`} data-testid="chat-conv" data-conversation=${c.id}>
        <a class="chat-conv-open" href=${formatRoute("chat", { persona, conversation: c.id })}
           aria-current=${selected ? "page" : undefined}>
          <span class="truncate chat-conv-title">${c.title}</span>
          <span class="muted chat-conv-meta">${c.messages} ${c.messages === 1 ? "message" : "messages"} · ${formatTime(c.updated_at)}</span>
        </a>
        <span class="chat-conv-actions">
          <button class="icon-button" type="button" title="Rename" aria-label=${`Rename “${c.title}”`} onClick=${() => setRenaming(c.id)}>✎</button>
          <button class="icon-button" type="button" title="Export" aria-label=${`Export “${c.title}”`}
                  onClick=${() => exportChat(c).catch(() => undefined)}>⤓</button>
          <button class="icon-button" type="button" title="Delete" aria-label=${`Delete “${c.title}”`} onClick=${() => setConfirming(c.id)}>🗑</button>
        </span>
      </div>`;
  };

  return html`
    <aside class=${`chat-side panel${dragging ? " dragging" : ""}`} aria-label="Conversations" data-testid="chat-side"
           onDragOver=${(e) => { e.preventDefault(); setDragging(true); }}
           onDragLeave=${() => setDragging(false)}
           onDrop=${(e) => { e.preventDefault(); setDragging(false); fromFiles(e.dataTransfer.files).catch(() => undefined); }}>
      <div class="chat-side-head">
        <button class="button primary" type="button" data-testid="chat-new" onClick=${onNew}>New chat</button>
        <button class="button" type="button" data-testid="chat-import" onClick=${chooseImport}>Import…</button>
        <label class="visually-hidden" for="chat-import-input">SillyTavern chat files to import</label>
        <input id="chat-import-input" class="visually-hidden" type="file" multiple accept=".jsonl,application/jsonl,text/plain"
               ref=${input} data-testid="chat-import-input"
               onChange=${(e) => { fromFiles(e.currentTarget.files).catch(() => undefined); e.currentTarget.value = ""; }} />
      </div>
      <${VirtualList} store=${store} rowHeight=${58} height="100%" label="Conversations" testid="chat-conversations"
                      getKey=${(c) => c.id} renderRow=${row}
                      empty=${total === null || total === undefined
                        ? html`<p class="muted">Loading conversations…</p>`
                        : html`<div class="empty"><p class="muted">No conversations yet. Start one, or drop a SillyTavern chat file here.</p></div>`} />
    </aside>`;
}

/** A conversation's title, in place; Enter saves, Esc leaves it as it was. */
function RenameForm({ title, onDone }) {
  const field = useRef(null);
  useEffect(() => { field.current?.focus(); field.current?.select(); }, []);
  return html`
    <form class="chat-conv chat-conv-rename" onSubmit=${(e) => { e.preventDefault(); onDone(field.current.value); }}>
      <input class="input" ref=${field} aria-label="Conversation title" value=${title} data-testid="chat-rename-input"
             onKeyDown=${(e) => { if (e.key === "Escape") { e.preventDefault(); onDone(title); } }} />
      <button class="button" type="submit">Save</button>
    </form>`;
}
