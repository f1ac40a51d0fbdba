// The chat's composer: Enter sends, Shift+Enter is a new line; Send becomes Stop while a
// reply is being written. The draft belongs to the page (the prompt inspector reads it).
import { html, useEffect, useRef } from "../lib/preact.js";

export function ChatComposer({ draft, setDraft, streaming, sending, onSend, onStop, disabled }) {
  const field = useRef(null);
  // Back to the draft when a reply ends, unless the person is busy elsewhere (the Stop button
  // they pressed is gone, so the focus fell to the body).
  useEffect(() => {
    const away = document.activeElement && document.activeElement !== document.body;
    if (!streaming && !away) field.current?.focus();
  }, [streaming]);
  const canSend = !disabled && !sending && draft.trim().length > 0;
  const send = () => { if (canSend && !streaming) onSend(); };
  return html`
    <form class="chat-composer" data-testid="chat-composer"
          onSubmit=${(e) => { e.preventDefault(); if (streaming) onStop(); else send(); }}>
      <label class="visually-hidden" for="chat-draft">Message</label>
      <textarea id="chat-draft" class="input chat-draft" ref=${field} rows="2" value=${draft}
                placeholder="Write a message… (Enter sends, Shift+Enter for a new line)"
                data-testid="chat-draft" disabled=${disabled}
                onInput=${(e) => setDraft(e.currentTarget.value)}
                onKeyDown=${(e) => {
                  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
                }}></textarea>
      ${streaming
        ? html`<button class="button chat-stop" type="submit" data-testid="chat-stop">Stop</button>`
        : html`<button class="button primary" type="submit" data-testid="chat-send" disabled=${!canSend}>Send</button>`}
    </form>`;
}
