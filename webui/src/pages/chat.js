// Chat: #/chat picks a persona; #/chat/<persona> lists its conversations (newest first) and
// opens the most recent; #/chat/<persona>/<conversation> is one conversation — its messages
// in a measured virtual list paged through chat.messages, replies streamed from chat.delta
// and chat.done (lib/chatStore.js), the composer, the prompt inspector and the providers.
// A model's tool call that waits for the user shows as a consent card above the composer
// (chat.tool_decide); "Allowed plugins" lists the persona's standing grants.
import { html, useEffect, useMemo, useRef, useState } from "../lib/preact.js";
import { call } from "../bridge.js";
import { formatRoute, navigate } from "../lib/router.js";
import { createListStore } from "../lib/store.js";
import { useListStore, useStoreSnapshot } from "../lib/useStore.js";
import { useHubEvent } from "../lib/hooks.js";
import { createChatStore } from "../lib/chatStore.js";
import { showToast, toastError } from "../lib/toast.js";
import { VirtualList } from "../components/VirtualList.js";
import { ChatPersonaPicker } from "../components/ChatPersonaPicker.js";
import { ChatConversations, exportChat } from "../components/ChatConversations.js";
import { ChatMessage } from "../components/ChatMessage.js";
import { ChatComposer } from "../components/ChatComposer.js";
import { ChatPromptInspector } from "../components/ChatPromptInspector.js";
import { ChatProviders } from "../components/ChatProviders.js";
import { ConsentCard, ToolGrants } from "../components/ChatTools.js";

const MESSAGE_ESTIMATE_PX = 96;

export function ChatPage({ params }) {
  const [providersOpen, setProvidersOpen] = useState(false);
  const [providersVersion, setProvidersVersion] = useState(0);
  const persona = params?.persona;
  return html`
    ${persona
      ? html`<${ChatRoom} key=${persona} persona=${persona} conversation=${params.conversation}
                           providersVersion=${providersVersion} onProviders=${() => setProvidersOpen(true)} />`
      : html`<${ChatPersonaPicker} onProviders=${() => setProvidersOpen(true)} />`}
    ${providersOpen && html`<${ChatProviders} onClose=${() => setProvidersOpen(false)}
                                              onChanged=${() => setProvidersVersion((n) => n + 1)} />`}`;
}

/** The name the user goes by in chats (the chat_user_name setting), for {{user}}. */
function useUserName() {
  const [user, setUser] = useState("User");
  useEffect(() => {
    call("settings.list", { limit: 1000 }, { quiet: true })
      .then((r) => { const s = r.items.find((i) => i.name === "chat_user_name"); if (s?.value) setUser(String(s.value)); })
      .catch(() => undefined);
  }, []);
  return user;
}

/** The providers (provider.list), fetched again when the dialog changed them. */
function useProviders(version) {
  const [providers, setProviders] = useState([]);
  useEffect(() => {
    call("provider.list", {}, { quiet: true }).then((r) => setProviders(r.items)).catch(() => undefined);
  }, [version]);
  return providers;
}

function ChatRoom({ persona, conversation, providersVersion, onProviders }) {
  const [name, setName] = useState(null);
  const [missing, setMissing] = useState(false);
  useEffect(() => {
    call("persona.get", { id: persona }, { quiet: true })
      .then((p) => setName(p.name))
      .catch((error) => { if (error.code === "not_found") setMissing(true); else setName(""); });
  }, [persona]);
  if (missing) {
    return html`
      <div class="page"><div class="empty" data-testid="chat-no-persona">
        <p><b>No such persona.</b></p>
        <p class="muted">It may have been deleted. <a href=${formatRoute("chat", {})}>Choose another</a>.</p>
      </div></div>`;
  }
  if (name === null) return html`<div class="page"><p class="muted">Loading…</p></div>`;
  return html`<${PersonaChats} persona=${persona} name=${name} conversation=${conversation}
                               providersVersion=${providersVersion} onProviders=${onProviders} />`;
}

/** A persona's conversations beside the open one (the persona is known to exist). */
function PersonaChats({ persona, name, conversation, providersVersion, onProviders }) {
  const store = useListStore(() => createListStore({
    call, method: "chat.list", params: { persona }, pageSize: 100,
    // A reply that ends moves its conversation to the top and counts its messages; a
    // conversation created, renamed or deleted (here or by another client) changes the list.
    topics: ["chat.done", "chat.changed"],
    onEvent: (event) => event.topic === "chat.changed" && event.data?.persona !== persona,
  }), [persona]);
  const snap = useStoreSnapshot(store);
  // Again for each conversation opened: a provider may have been added elsewhere meanwhile.
  const providers = useProviders(`${providersVersion}/${conversation ?? ""}`);

  // #/chat/<persona> opens the most recent conversation, in place of this history entry.
  const newest = snap?.total ? store.item(0) : undefined;
  useEffect(() => {
    if (!conversation && newest) location.replace(formatRoute("chat", { persona, conversation: newest.id }));
  }, [conversation, newest?.id]);

  async function create() {
    try {
      const made = await call("chat.create", { persona });
      store.invalidate();
      navigate("chat", { persona, conversation: made.id });
    } catch {
      // toasted by the shell
    }
  }

  return html`
    <div class="page page-fill chat-page">
      <header class="page-head">
        <h2>Chat</h2>
        <p class="muted truncate">with <b data-testid="chat-persona-name">${name || "…"}</b>${" · "}<a
           href=${formatRoute("chat", {})}>another persona</a></p>
        <span class="spacer"></span>
        <button class="button" type="button" data-testid="chat-providers-open" onClick=${onProviders}>Model providers…</button>
      </header>
      <div class="chat-layout">
        <${ChatConversations} persona=${persona} store=${store} snap=${snap} current=${conversation}
                              onNew=${create} onChanged=${() => store.invalidate()} />
        ${conversation
          ? html`<${Conversation} key=${conversation} id=${conversation} persona=${persona} name=${name}
                                  providers=${providers} onProviders=${onProviders} onChanged=${() => store.invalidate()} />`
          : html`<section class="chat-main panel chat-start" data-testid="chat-start">
                   ${snap?.total === 0
                     ? html`<div class="empty">
                              <p><b>No conversations with ${name || "this persona"} yet.</b></p>
                              <p class="muted">A new chat opens with the card's first message.</p>
                              <button class="button primary" type="button" onClick=${create}>New chat</button>
                            </div>`
                     : html`<p class="muted">Loading conversations…</p>`}
                 </section>`}
      </div>
    </div>`;
}

function Conversation({ id, persona, name, providers, onProviders, onChanged }) {
  const [conv, setConv] = useState(null);
  const [draft, setDraft] = useState("");
  const [sending, setSending] = useState(false);
  const [inspecting, setInspecting] = useState(false);
  const [editing, setEditing] = useState(null);
  const [confirming, setConfirming] = useState(null);
  const [atBottom, setAtBottom] = useState(true);
  const [embedded, setEmbedded] = useState(null); // the last chat.embedded event's data
  const [deciding, setDeciding] = useState(null); // the call id being answered
  const [grantsOpen, setGrantsOpen] = useState(false);
  const user = useUserName();
  const scroller = useRef(null);
  const log = useMemo(() => createChatStore({ call, conversation: id, pageSize: 50 }), [id]);
  useEffect(() => () => log.dispose(), [log]);
  const snap = useStoreSnapshot(log);

  const reload = () => call("chat.get", { conversation: id }, { quiet: true })
    .then((found) => { setConv(found); log.resume(found.writing); })
    .catch((error) => setConv({ error }));
  // What waits for the user already (a page opened mid-reply): the calls to decide.
  const pendingCalls = () => call("chat.tool_pending", { conversation: id }, { quiet: true })
    .then((r) => log.setPending(r.items))
    .catch(() => undefined);
  useEffect(() => { reload(); pendingCalls(); }, [id]);
  useHubEvent("chat.", (event) => {
    if (event.topic === "chat.embedded") { setEmbedded(event.data); return; }
    if (event.topic === "chat.changed") {
      if (event.data?.conversation === id) reload(); // renamed, or deleted, elsewhere
      return;
    }
    if (!log.handleEvent(event)) return;
    if (event.topic === "chat.done") log.refresh(); // its memories and stored usage
  });
  useHubEvent("shell.connection", ({ data }) => {
    if (data?.state === "connected") { log.refresh(); reload(); pendingCalls(); }
  });

  const streaming = snap?.streaming ?? null;
  const total = snap?.total ?? null;
  const lastReply = total ? log.item(total - 1) : undefined;
  const act = {
    edit: (m) => { setConfirming(null); setEditing(m.id); },
    cancel: () => { setEditing(null); setConfirming(null); },
    askDelete: (m) => { setEditing(null); setConfirming(m.id); },
    async save(m, text) {
      if (!text.trim()) { showToast({ kind: "error", title: "Not saved", message: "A message cannot be empty; delete it instead." }); return; }
      try {
        log.replace(await call("chat.edit", { conversation: id, message: m.id, text }));
        setEditing(null);
      } catch { /* toasted */ }
    },
    async remove(m) {
      setConfirming(null);
      try {
        await call("chat.delete_message", { conversation: id, message: m.id });
        await log.refresh();
        onChanged();
      } catch { /* toasted */ }
    },
    async regenerate() {
      if (!lastReply || lastReply.role !== "assistant") return;
      log.beginRegenerate(lastReply.id);
      try {
        await call("chat.regenerate", { conversation: id });
      } catch {
        log.abandon(lastReply.id);
        log.refresh();
      }
    },
    async swipe(m, index) {
      try { log.replace(await call("chat.swipe", { conversation: id, message: m.id, swipe: index })); } catch { /* toasted */ }
    },
    providers: onProviders,
  };

  async function send() {
    const text = draft;
    setSending(true);
    try {
      const sent = await call("chat.send", { conversation: id, text });
      setDraft("");
      log.appendSent(sent);
      jumpToEnd();
    } catch {
      // toasted by the shell (a conflict: a reply is still being written)
    } finally {
      setSending(false);
    }
  }
  async function stop() {
    try { await call("chat.stop", { conversation: id }); } catch { /* toasted */ }
  }
  async function decide(request, decision) {
    setDeciding(request.call);
    try {
      await call("chat.tool_decide", { conversation: id, call: request.call, decision }, { quiet: true });
      log.dismiss(request.call);
    } catch (error) {
      if (error?.code === "not_found") {
        // Stopped, or answered in another window, meanwhile: nothing waits any more.
        log.dismiss(request.call);
        showToast({ kind: "info", title: "No longer waiting", message: "That tool call was already answered or stopped." });
      } else {
        toastError(error);
      }
    } finally {
      setDeciding(null);
    }
  }
  async function changeProvider(value) {
    try {
      setConv(await call("chat.update", { conversation: id, provider: value }));
    } catch { /* toasted */ }
  }
  function jumpToEnd() {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  }

  if (conv?.error) {
    return html`
      <section class="chat-main panel" data-testid="chat-missing">
        <div class="empty"><p><b>This conversation is not there.</b></p>
          <p class="muted">${conv.error.message}. <a href=${formatRoute("chat", { persona })}>See the others</a>.</p></div>
      </section>`;
  }
  const fallback = providers.find((p) => p.default);
  const provider = providers.find((p) => p.id === conv?.provider) ?? fallback;
  const starting = embedded && embedded.status === "running" && provider?.embedded;
  const waiting = log.pending()[0];
  return html`
    <section class="chat-main" aria-label="Conversation" data-testid="chat-conversation" data-conversation=${id}>
      <div class="chat-head">
        <div class="chat-head-text">
          <h3 class="truncate" data-testid="chat-title">${conv?.title ?? "…"}</h3>
          <span class="chat-head-sub muted">
            <label class="chat-provider-pick">
              <span>via</span>
              <select class="input select" aria-label="Provider of this conversation" data-testid="chat-provider-select"
                      value=${conv?.provider ?? ""} onChange=${(e) => changeProvider(e.currentTarget.value)}>
                <option value="">default${fallback ? ` (${fallback.id})` : ""}</option>
                ${providers.map((p) => html`<option key=${p.id} value=${p.id}>${p.id}</option>`)}
              </select>
            </label>
            <span class="chat-model truncate" data-testid="chat-model"
                  title=${provider ? `The model that answers: ${modelName(provider)}` : ""}>${provider ? modelName(provider) : ""}</span>
          </span>
        </div>
        <button class="button" type="button" data-testid="chat-grants-open" aria-haspopup="dialog"
                title="The plugins this persona's models may call without asking" onClick=${() => setGrantsOpen(true)}>Allowed plugins</button>
        <button class="button" type="button" aria-pressed=${inspecting} data-testid="chat-inspect"
                onClick=${() => setInspecting((v) => !v)}>Prompt</button>
        <button class="button" type="button" data-testid="chat-export" disabled=${!conv}
                onClick=${() => exportChat(conv).catch(() => undefined)}>Export</button>
      </div>
      ${starting && html`<p class="chat-status" role="status" data-testid="chat-embedded">Starting the offline model…</p>`}
      ${embedded?.status === "failed" && provider?.embedded && html`
        <p class="inline-error" role="alert" data-testid="chat-embedded">The offline model did not start: ${embedded.error ?? "see logs/embedded-llm.log"}</p>`}
      <div class="chat-body">
        <div class="chat-log-wrap">
          <${VirtualList} store=${log} rowHeight=${MESSAGE_ESTIMATE_PX} height="100%" label="Messages" testid="chat-log"
                          measure=${true} stickToBottom=${true} onAtBottom=${setAtBottom} scrollerRef=${scroller}
                          overscan=${4} getKey=${(m) => m.id}
                          renderRow=${(m) => ChatMessage({
                            message: m, name, persona, user, streaming: Boolean(streaming),
                            last: Boolean(m && lastReply && m.id === lastReply.id && m.role === "assistant"),
                            editing: m && editing === m.id, confirming: m && confirming === m.id, act,
                          })}
                          empty=${total === null
                            ? html`<p class="muted">Loading messages…</p>`
                            : html`<div class="empty"><p class="muted">No messages yet: say hello.</p></div>`} />
          ${!atBottom && html`<button class="button chat-jump" type="button" onClick=${jumpToEnd}>↓ Latest</button>`}
        </div>
        ${inspecting && html`<${ChatPromptInspector} conversation=${id} draft=${draft} onClose=${() => setInspecting(false)} />`}
      </div>
      ${waiting && html`<${ConsentCard} key=${waiting.call} request=${waiting} name=${name} busy=${deciding === waiting.call}
                                        onDecide=${(decision) => decide(waiting, decision)} />`}
      <${ChatComposer} draft=${draft} setDraft=${setDraft} streaming=${Boolean(streaming)} sending=${sending}
                       onSend=${send} onStop=${stop} disabled=${!conv} />
      ${grantsOpen && html`<${ToolGrants} persona=${persona} name=${name} onClose=${() => setGrantsOpen(false)} />`}
    </section>`;
}

/** The model a provider answers with, as the header names it (its full name in the tooltip). */
function modelName(provider) {
  return provider.model || "the server's default model";
}
