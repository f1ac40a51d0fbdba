// A conversation's messages for the chat page: pages of chat.messages (oldest first, by
// offset/limit), and the replies being written, assembled from chat.delta and chat.done.
//
//   const log = createChatStore({ call, conversation, pageSize: 50 });
//   log.subscribe(fn) → unsubscribe; fn(snapshot) on every change
//   log.snapshot()    → {total: number|null, loading, error, version, streaming: id|null}
//   log.item(i)       → the message at index i (a reply being written shows its text so far,
//                       with `streaming: true`; a finished one its `outcome`), or undefined
//   log.ensure(start, end) → Promise; fetches the pages of [start, end) not held
//   log.refresh()     → refetches the total and the pages held, keeping them shown meanwhile
//   log.appendSent({message, reply, system?}) → chat.send's reply: the user's message and the
//                       reply being written (or, for a slash command, its system message)
//   log.beginRegenerate(id) → the last reply gets a new, empty swipe being written (call it
//                       before chat.regenerate: its deltas may come before its reply)
//   log.abandon(id)   → that reply will not come (its call failed)
//   log.replace(message) → a message chat.edit or chat.swipe returned
//   log.handleEvent({topic, data}) → applies a chat.delta, chat.done, chat.tool_request or
//                       chat.tool_result of this conversation; true when it was one
//   log.outcome(id)   → {finish_reason, error?} of a reply that ended (while shown, or as
//                       stored: a message's finish_reason and error), or null
//   log.resume(id)    → a reply already being written when the page opened (the
//                       conversation's `writing`): shown as streaming from its next delta
//   log.pending()     → the tool calls waiting for the user's decision, oldest first
//   log.setPending(items) → chat.tool_pending's items (when the conversation opens)
//   log.dismiss(call) → that call no longer waits (decided here, or gone: not_found)
//   log.dispose()
//
// A message being written shows the tool records its chat.tool_result events brought
// (`tools`) and the calls of it that wait (`waiting`); chat.done brings the stored ones.
//
// Pages far from the last range asked for are dropped (maxPages), so a 5,000-message
// conversation keeps a bounded number of messages in memory. Replies that arrive after a
// refresh began replace nothing newer (a generation counter).

import { evictFarPages, missingPages } from "./store.js";

export function createChatStore({ call, conversation, pageSize = 50, maxPages = 12 }) {
  let pages = new Map(); // page index → messages
  let inflight = new Map(); // page index → Promise
  let total = null;
  let error = null;
  let version = 0;
  let generation = 0;
  let wanted = { start: 0, end: 0 };
  const streams = new Map(); // message id → text written so far (while streaming)
  const outcomes = new Map(); // message id → {finish_reason, error?}
  const ended = new Map(); // message id → {text, usage} of its chat.done (it may beat chat.send's reply)
  let streaming = null; // the id of the reply being written, if we know of one
  const joined = new Set(); // replies the page began to show mid-way (resume)
  const requests = new Map(); // call id → its chat.tool_request data, while it waits
  const results = new Map(); // message id → tool records of its chat.tool_result events
  const listeners = new Set();

  const snapshot = () => ({ total, loading: inflight.size > 0, error, version, streaming });
  function changed() {
    version += 1;
    const snap = snapshot();
    listeners.forEach((fn) => fn(snap));
  }

  const evict = () => evictFarPages(pages, wanted, pageSize, maxPages);

  async function fetchPage(index, gen) {
    try {
      const reply = await call("chat.messages", { conversation, offset: index * pageSize, limit: pageSize });
      if (gen !== generation) return;
      pages.set(index, Array.isArray(reply?.items) ? reply.items : []);
      if (Number.isFinite(reply?.total)) total = reply.total;
      error = null;
      evict();
    } catch (failure) {
      if (gen === generation) error = failure;
      throw failure;
    } finally {
      if (gen === generation && inflight.get(index)) {
        inflight.delete(index);
        changed();
      }
    }
  }

  function request(index) {
    if (!inflight.has(index)) {
      inflight.set(index, fetchPage(index, generation));
      if (inflight.size === 1) changed();
    }
    return inflight.get(index);
  }

  function ensure(start, end) {
    wanted = { start: Math.max(0, start), end: Math.max(start, end) };
    const waits = missingPages(wanted, total, pageSize, pages).map(request);
    return Promise.all(waits).then(() => undefined);
  }

  /** The pages held, fetched again; the old ones stay shown until each new one is in. */
  function refresh() {
    generation += 1;
    inflight = new Map();
    const held = [...pages.keys()];
    const asked = Math.floor(wanted.start / pageSize);
    const indexes = held.length ? held : [asked];
    return Promise.all(indexes.map(request)).then(() => {
      // The total may have shrunk: pages past it are gone.
      if (total !== null) {
        for (const index of [...pages.keys()]) {
          if (index > 0 && index * pageSize >= total) pages.delete(index);
        }
      }
      changed();
    }).catch(() => undefined);
  }

  function at(i) {
    return pages.get(Math.floor(i / pageSize))?.[i % pageSize];
  }

  /** Changes the held copies of a message; whether one was held. */
  function patch(id, update) {
    let hit = false;
    for (const [index, items] of pages) {
      const k = items.findIndex((m) => m.id === id);
      if (k === -1) continue;
      const next = items.slice();
      next[k] = update(items[k]);
      pages.set(index, next);
      hit = true;
    }
    return hit;
  }

  /** Adds messages at the end, when the last page is held (else they come with a fetch). */
  function append(messages) {
    if (total === null) return;
    for (const message of messages) {
      if (findIndex(message.id) !== -1) continue;
      const index = Math.floor(total / pageSize);
      const lastHeld = total === 0 || pages.has(Math.floor((total - 1) / pageSize));
      if (lastHeld) pages.set(index, [...(pages.get(index) ?? []), message]);
      total += 1;
    }
  }

  function findIndex(id) {
    for (const [index, items] of pages) {
      const k = items.findIndex((m) => m.id === id);
      if (k !== -1) return index * pageSize + k;
    }
    return -1;
  }

  function onDelta({ message, delta }) {
    if (streaming !== message) outcomes.delete(message);
    streaming = message;
    streams.set(message, (streams.get(message) ?? "") + String(delta ?? ""));
  }

  function onDone({ message, text, finish_reason: reason, usage, error: why, tools }) {
    streams.delete(message);
    joined.delete(message);
    results.delete(message);
    for (const [call, request] of requests) if (request.message === message) requests.delete(call);
    if (streaming === message) streaming = null;
    outcomes.set(message, why ? { finish_reason: reason, error: why } : { finish_reason: reason });
    ended.set(message, { text, usage, tools: tools ?? [] });
    patch(message, (m) => {
      const swipes = Array.isArray(m.swipes) && m.swipes.length ? m.swipes.slice() : [""];
      swipes[m.swipe ?? 0] = text;
      return { ...m, text, swipes, usage: usage ?? m.usage, tools: tools ?? [],
        finish_reason: reason, error: why ?? null };
    });
  }

  function onToolRequest(data) {
    if (data.call) requests.set(data.call, data);
  }

  function onToolResult(data) {
    const { conversation: _c, message, ...record } = data;
    requests.delete(record.call);
    results.set(message, [...(results.get(message) ?? []), record]);
  }

  /** A stored message's ending as an outcome ({finish_reason, error?}), or null. */
  function stored(message) {
    if (!message.finish_reason) return null;
    return message.error ? { finish_reason: message.finish_reason, error: message.error }
      : { finish_reason: message.finish_reason };
  }

  function waitingFor(id) {
    return [...requests.values()].filter((r) => r.message === id);
  }

  return {
    snapshot,
    ensure,
    refresh,
    item(i) {
      const message = at(i);
      if (!message) return message;
      if (streams.has(message.id)) {
        return { ...message, text: streams.get(message.id), streaming: true, joined: joined.has(message.id),
          tools: results.get(message.id) ?? [], waiting: waitingFor(message.id) };
      }
      const outcome = outcomes.get(message.id) ?? stored(message);
      return outcome ? { ...message, outcome } : message;
    },
    indexOf: findIndex,
    outcome(id) {
      if (outcomes.has(id)) return outcomes.get(id);
      const i = findIndex(id);
      return i === -1 ? null : stored(at(i));
    },
    resume(id) {
      if (!id || ended.has(id) || streams.has(id)) return;
      streaming = id;
      joined.add(id);
      streams.set(id, "");
      changed();
    },
    pending: () => [...requests.values()],
    setPending(items) {
      for (const request of items ?? []) {
        if (request?.conversation === conversation && !ended.has(request.message)) onToolRequest(request);
      }
      changed();
    },
    dismiss(call) {
      if (requests.delete(call)) changed();
    },
    appendSent({ message, reply, system }) {
      if (system) { // a slash command: its outcome is there already, nothing is written
        append([message, system]);
        changed();
        return;
      }
      const done = ended.get(reply);
      const text = done?.text ?? "";
      const placeholder = {
        id: reply, conversation, role: "assistant", text, swipes: [text], swipe: 0,
        created_at: Number(message?.created_at) || 0, memories: [], usage: done?.usage ?? null,
        tools: done?.tools ?? [], finish_reason: null, error: null,
      };
      append([message, placeholder]);
      if (!done) {
        streaming = reply;
        if (!streams.has(reply)) streams.set(reply, "");
      }
      changed();
    },
    beginRegenerate(id) {
      outcomes.delete(id);
      ended.delete(id);
      streaming = id;
      streams.set(id, "");
      patch(id, (m) => {
        const swipes = [...(m.swipes ?? [m.text]), ""];
        return { ...m, swipes, swipe: swipes.length - 1, text: "", memories: [], usage: null, tools: [],
          finish_reason: null, error: null };
      });
      changed();
    },
    /** The reply will not be written after all (its call failed): no longer streaming. */
    abandon(id) {
      streams.delete(id);
      if (streaming === id) streaming = null;
      changed();
    },
    replace(message) {
      if (patch(message.id, () => message)) changed();
    },
    handleEvent({ topic, data }) {
      if (!data || data.conversation !== conversation) return false;
      if (topic === "chat.delta") onDelta(data);
      else if (topic === "chat.done") onDone(data);
      else if (topic === "chat.tool_request") onToolRequest(data);
      else if (topic === "chat.tool_result") onToolResult(data);
      else return false;
      changed();
      return true;
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    dispose() {
      generation += 1;
      pages = new Map();
      inflight = new Map();
      listeners.clear();
    },
  };
}

/** "‹ 2/3 ›" parts for a message: {index (1-based), count, previous, next} or null. */
export function swipeState(message) {
  const count = Array.isArray(message?.swipes) ? message.swipes.length : 0;
  if (message?.role !== "assistant" || count < 2) return null;
  const swipe = Number(message.swipe) || 0;
  return { index: swipe + 1, count, previous: swipe > 0 ? swipe - 1 : null, next: swipe < count - 1 ? swipe + 1 : null };
}

/** A reply's usage in a few words: "42 → 5 tokens · first token 120 ms · 31.2 tok/s". */
export function usageWords(usage) {
  if (!usage) return "";
  const parts = [];
  const { prompt_tokens: prompt, completion_tokens: completion, ttft_ms: ttft, tokens_per_s: rate } = usage;
  if (Number.isFinite(prompt) || Number.isFinite(completion)) parts.push(`${prompt ?? "?"} → ${completion ?? "?"} tokens`);
  if (Number.isFinite(ttft)) parts.push(`first token ${Math.round(ttft)} ms`);
  if (Number.isFinite(rate)) parts.push(`${rate.toFixed(1)} tok/s`);
  return parts.join(" · ");
}

/** What a finished reply's finish_reason says to a person; "" for a plain "stop". */
export function outcomeWords(outcome) {
  switch (outcome?.finish_reason) {
    case "length": return "cut short: it reached the token limit";
    case "cancelled": return "stopped";
    case "error": return "failed";
    default: return "";
  }
}

/** A file name for an exported conversation: "Chat_with_Ada.jsonl". */
export function exportName(title) {
  const base = String(title ?? "").replace(/[^\w.-]+/g, "_").replace(/^_+|_+$/g, "");
  return `${base || "chat"}.jsonl`;
}

/** A card's text as a chat shows it: {{char}} the persona's name, {{user}} the user's (any case). */
export function withMacros(text, { char = "", user = "User" } = {}) {
  return String(text ?? "")
    .replace(/\{\{char\}\}/gi, () => char || "{{char}}")
    .replace(/\{\{user\}\}/gi, () => user);
}
