// One message of a conversation: who said it, its text as sanitized Markdown (never raw
// HTML), and what can be done with it: edit in place, delete (asked first), regenerate the
// last reply, go through its swipes (‹ 2/3 ›), see what it cost and what it remembered; a
// reply's tool calls (collapsible records) and a slash command's result as a block.
import { html, useEffect, useRef, useState } from "../lib/preact.js";
import { call } from "../bridge.js";
import { Markdown } from "../lib/sanitize.js";
import { formatRoute } from "../lib/router.js";
import { formatTime } from "../lib/format.js";
import { outcomeWords, swipeState, usageWords, withMacros } from "../lib/chatStore.js";
import { commandRecord } from "../lib/chatTools.js";
import { CommandResult, ToolRecords } from "./ChatTools.js";

/**
 * props: message (undefined while its page loads), name (the persona's), persona (its id),
 * user (the user's name, for {{user}}),
 * last (the conversation's last reply), streaming (a reply is being written), editing,
 * confirming (this row's state, kept by the page: rows come and go as the list scrolls), and
 * act: {edit(m), cancel(), save(m, text), askDelete(m), remove(m), regenerate(), swipe(m, i), providers()}.
 */
export function ChatMessage({ message, name, persona, user, last, streaming, editing, confirming, act }) {
  if (!message) return html`<div class="chat-msg placeholder-row" aria-busy="true">Loading…</div>`;
  const who = message.role === "user" ? "You" : message.role === "assistant" ? name : "System";
  const swipes = swipeState(message);
  const outcome = message.outcome;
  const ended = outcomeWords(outcome);
  const command = commandRecord(message);
  const waiting = message.waiting?.length > 0;
  return html`
    <article class=${`chat-msg chat-msg-${message.role}${message.streaming ? " streaming" : ""}`}
             data-testid="chat-message" data-message=${message.id} data-role=${message.role}
             aria-label=${`${who}, ${formatTime(message.created_at)}`} aria-busy=${message.streaming ? "true" : undefined}>
      <header class="chat-msg-head">
        <b class="chat-msg-who">${who}</b>
        <span class="muted chat-msg-time">${formatTime(message.created_at)}</span>
        ${ended && html`<span class=${`pill ${outcome.finish_reason === "error" ? "pill-failing" : "warn"}`}
                              data-testid="chat-finish">${ended}</span>`}
        ${waiting && html`<span class="pill warn" data-testid="chat-waiting">waiting for you</span>`}
        <span class="spacer"></span>
        ${!editing && !confirming && !message.streaming && html`
          <span class="chat-msg-actions">
            <button class="button ghost small" type="button" onClick=${() => act.edit(message)}
                    aria-label=${`Edit ${who}'s message`}>Edit</button>
            <button class="button ghost small" type="button" onClick=${() => act.askDelete(message)}
                    aria-label=${`Delete ${who}'s message`}>Delete</button>
            ${last && !streaming && html`
              <button class="button ghost small" type="button" data-testid="chat-regenerate"
                      onClick=${() => act.regenerate()}>Regenerate</button>`}
          </span>`}
      </header>
      ${!command && html`<${ToolRecords} tools=${message.tools} />`}
      ${editing
        ? html`<${EditBox} text=${message.text} onSave=${(text) => act.save(message, text)} onCancel=${act.cancel} />`
        : command
          ? html`<${CommandResult} record=${command} />`
          : message.streaming && !message.text
            ? html`<p class="chat-typing muted" data-testid="chat-typing">${waiting
                ? html`${name} waits for your answer below before calling a plugin`
                : html`${name} is writing<span class="chat-dots" aria-hidden="true">…</span>`}</p>`
            : html`${message.joined && html`<span class="muted chat-joined" title="This reply began before the page opened">…</span>`}<${Markdown}
                     text=${withMacros(message.text, { char: name, user })} class="chat-msg-text" testid="chat-text" />`}
      ${outcome?.error && html`
        <div class="inline-error chat-msg-error" role="alert" data-testid="chat-error">
          <span>${outcome.error}</span>
          <span class="muted">Check the provider's address and model, or try another provider.</span>
          <button class="button small" type="button" onClick=${act.providers}>Model providers…</button>
        </div>`}
      ${confirming && html`
        <div class="chat-confirm" role="alertdialog" aria-label="Delete this message?" data-testid="chat-msg-confirm">
          <span>Delete this message? It cannot be undone.</span>
          <button class="button danger" type="button" data-testid="chat-msg-confirm-delete" onClick=${() => act.remove(message)}>Delete</button>
          <button class="button" type="button" onClick=${act.cancel}>Cancel</button>
        </div>`}
      <footer class="chat-msg-foot">
        ${swipes && html`
          <span class="chat-swipes" role="group" aria-label="Alternatives" data-testid="chat-swipes">
            <button class="icon-button" type="button" aria-label="Previous alternative" disabled=${swipes.previous === null || streaming}
                    onClick=${() => act.swipe(message, swipes.previous)}>‹</button>
            <span data-testid="chat-swipe-count">${swipes.index}/${swipes.count}</span>
            <button class="icon-button" type="button" aria-label="Next alternative" disabled=${swipes.next === null || streaming}
                    onClick=${() => act.swipe(message, swipes.next)}>›</button>
          </span>`}
        ${message.usage && !message.streaming && html`
          <span class="muted chat-usage" data-testid="chat-usage" title="Prompt → reply tokens, time to the first token, tokens per second">
            ${usageWords(message.usage)}</span>`}
        ${message.memories?.length > 0 && html`<${Remembered} persona=${persona} ids=${message.memories} />`}
      </footer>
    </article>`;
}

function EditBox({ text, onSave, onCancel }) {
  const field = useRef(null);
  const [value, setValue] = useState(text);
  useEffect(() => { field.current?.focus(); }, []);
  return html`
    <form class="chat-edit" onSubmit=${(e) => { e.preventDefault(); onSave(value); }}>
      <textarea class="input chat-edit-text" ref=${field} aria-label="Message text" rows=${Math.min(12, text.split("\n").length + 1)}
                data-testid="chat-edit-text" value=${value} onInput=${(e) => setValue(e.currentTarget.value)}
                onKeyDown=${(e) => {
                  if (e.key === "Escape") { e.preventDefault(); onCancel(); }
                  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); onSave(value); }
                }}></textarea>
      <span class="chat-edit-buttons">
        <button class="button primary" type="submit">Save</button>
        <button class="button" type="button" onClick=${onCancel}>Cancel</button>
        <span class="muted">Ctrl+Enter saves, Esc cancels</span>
      </span>
    </form>`;
}

/** "remembered: 2" — the memories the reply's prompt used, their text fetched when opened. */
function Remembered({ persona, ids }) {
  const [open, setOpen] = useState(false);
  const [texts, setTexts] = useState(null);
  useEffect(() => {
    if (!open || texts) return;
    Promise.all(ids.map((id) => call("memory.get", { persona, id }, { quiet: true })
      .then((m) => ({ id, text: m.text }))
      .catch(() => ({ id, text: null })))).then(setTexts);
  }, [open]);
  return html`
    <details class="chat-remembered" data-testid="chat-remembered" onToggle=${(e) => setOpen(e.currentTarget.open)}>
      <summary>remembered: ${ids.length}</summary>
      ${open && (texts
        ? html`<ul>${texts.map((m) => html`<li key=${m.id} data-testid="chat-memory">${m.text ?? html`<i class="muted">deleted since</i>`}</li>`)}</ul>`
        : html`<p class="muted">Loading…</p>`)}
      <a href=${formatRoute("memory", { persona })}>All of its memories</a>
    </details>`;
}
