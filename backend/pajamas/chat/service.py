"""`ChatService`: conversations answered by providers, with the card and memory in the prompt.

It joins the parts: the stores (conversations.py, providers.py), the prompt (prompt.py), the
replies' threads (replies.py), the embedded server (embedded.py) and the memory loop: each
user message and finished reply becomes a memory of the persona (chat_memory), with the
conversation as its `thread` in the metadata and the previous turn as its `context`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, final

from pajamas.chat import slash, tools
from pajamas.chat.calls import PluginCalls
from pajamas.chat.client import ProviderClient, Request
from pajamas.chat.consent import Consents
from pajamas.chat.conversations import Conversations
from pajamas.chat.grants import ToolGrants
from pajamas.chat.model import Conversation, Ending, Message, Provider, check_text
from pajamas.chat.prompt import Card, Prompt, Recalled, Turn, build
from pajamas.chat.replies import Ended, Prepared, Replies, Reply
from pajamas.chat.tokens import TokenCounter, estimate
from pajamas.errors import HubError, InvalidParams

if TYPE_CHECKING:
    from collections.abc import Callable

    from pajamas.chat.embedded import EmbeddedServer
    from pajamas.chat.providers import Providers
    from pajamas.config import Settings
    from pajamas.context import Publish
    from pajamas.memory.service import MemoryService
    from pajamas.personas.service import PersonaService
    from pajamas.stages import Slot

log = logging.getLogger(__name__)
RECALL_LIMIT = 20


@dataclass(frozen=True)
class ChatDeps:
    """What the chat reads: settings, the personas, memory (when up), its stores and parts,
    the persona's plugins (calls, standing grants, decisions waited for), and where events
    go."""

    settings: Settings
    personas: PersonaService
    memory: Slot[MemoryService]
    conversations: Conversations
    providers: Providers
    embedded: EmbeddedServer
    replies: Replies
    calls: PluginCalls
    grants: ToolGrants
    consents: Consents
    publish: Publish


@final
class ChatService:
    """Conversations, replies and prompts."""

    def __init__(self, deps: ChatDeps) -> None:
        self._deps = deps
        self.conversations, self.providers = deps.conversations, deps.providers
        self.replies = deps.replies
        self.grants, self.consents = deps.grants, deps.consents
        self._clients: dict[tuple[str, str, str | None], ProviderClient] = {}
        self._counters: dict[str, TokenCounter] = {}
        self._lock = threading.Lock()
        self._warmed = False

    # -- conversations ------------------------------------------------------------------

    def create(self, persona: str, title: str | None, provider: str | None) -> Conversation:
        """A new conversation, opening with the card's first_mes (alternate greetings as its
        swipes)."""
        found = self._deps.personas.get(persona)
        if provider is not None:
            self.providers.get(provider)
        card = self._deps.personas.card(persona)
        conversation = self.conversations.create(persona, title or f"Chat with {found['name']}",
                                                 provider)
        greetings = [g for g in [card.get("first_mes"), *(card.get("alternate_greetings") or [])]
                     if isinstance(g, str) and g.strip()]
        if greetings:
            self.conversations.add(conversation["id"], "assistant", greetings)
        return self._changed(self.conversations.get(conversation["id"]), "created")

    def update(self, conversation: str, title: str | None, provider: str | None) -> Conversation:
        """The conversation with a new title or provider ("": the default)."""
        if provider:
            self.providers.get(provider)
        return self._changed(self.conversations.update(conversation, title=title,
                                                       provider=provider), "updated")

    def delete(self, conversation: str) -> None:
        """Delete the conversation and its messages, its reply stopped first."""
        found = self.conversations.get(conversation)
        self.replies.stop(conversation)
        self.conversations.delete(conversation)
        self._changed(found, "deleted")

    def _changed(self, conversation: Conversation, change: str) -> Conversation:
        """Tell the clients (chat.changed) that a conversation was created, updated or
        deleted; returns it."""
        self._deps.publish("chat.changed", {"persona": conversation["persona"],
                                            "conversation": conversation["id"],
                                            "change": change})
        return conversation

    def send(self, conversation: str, text: str) -> dict[str, Any]:
        """Add the user's message and start the reply: {"message", "reply"}; or run the slash
        command it is: {"message", "reply", "system"} (see slash.py)."""
        check_text(text)
        if slash.is_command(text):
            return self._command(conversation, text)
        text = check_text(slash.literal(text))
        self.conversations.get(conversation)
        reply = self.replies.claim(conversation)  # first: a second send adds nothing
        try:
            message = self.conversations.add(conversation, "user", [text])
            reply.message = self.conversations.add(conversation, "assistant", [""])["id"]
        except BaseException:
            self.replies.release(reply)
            raise
        self._write(reply, [""], 0, message)
        return {"message": message, "reply": reply.message}

    def _command(self, conversation: str, text: str) -> dict[str, Any]:
        """Run a slash command: the user's message, then a system message with the outcome."""
        persona = self.conversations.get(conversation)["persona"]
        calls = self._deps.calls
        command = slash.parse(text, calls.enabled(persona), persona=persona,
                              installed=calls.installed(slash.word(text)))
        reply = self.replies.claim(conversation)  # no reply is written meanwhile
        try:
            message = self.conversations.add(conversation, "user", [text])
            outcome = calls.call(persona, command.plugin, command.function, command.args)
            shown = outcome.output() if outcome.ok else \
                f"{command.plugin} {command.function} failed: {outcome.error}"
            record = outcome.record("", command.plugin, command.function, command.args,
                                    "command")
            system = self.conversations.add(conversation, "system",
                                            [f"/{command.plugin} {command.function}: {shown}"],
                                            tools=[record])
        finally:
            self.replies.release(reply)
        return {"message": message, "reply": system["id"], "system": system}

    def regenerate(self, conversation: str) -> dict[str, Any]:
        """Write a new swipe of the last reply: {"reply"}."""
        reply = self.replies.claim(conversation)
        try:
            last = self.conversations.last(conversation)
            if last is None or last["role"] != "assistant":
                raise InvalidParams("the conversation's last message is not a reply; "
                                    "send a message first", field="conversation")
            swipes = [*last["swipes"], ""]
            reply.message = last["id"]
            self.conversations.set_swipes(conversation, last["id"], swipes, len(swipes) - 1)
        except BaseException:
            self.replies.release(reply)
            raise
        before = self._history(conversation, before=last["id"])
        user = next((m for m in reversed(before) if m["role"] == "user"), None)
        self._write(reply, swipes, len(swipes) - 1, user)
        return {"reply": last["id"]}

    def _write(self, reply: Reply, swipes: list[str], swipe: int, user: Message | None) -> None:
        """Start writing the claimed reply into swipes[swipe] of its message."""
        conversation, message = reply.conversation, reply.message

        def store(done: Reply, ended: Ended) -> Callable[[], None] | None:
            text = ended.text
            current = self.conversations.message(conversation, message)["swipes"]
            current[swipe] = text
            self.conversations.set_swipes(
                conversation, message, current, swipe, memories=ended.memories,
                usage=ended.usage, tools=done.tools,
                ending=Ending(finish_reason=ended.reason, error=ended.error))
            if not text or user is None:
                return None
            return lambda: self._remember(conversation, user, done.message, text)

        self.replies.start(reply, lambda: self._prepare(conversation, message), store)

    def edit(self, conversation: str, message: str, text: str) -> Message:
        """The message with its shown text replaced."""
        check_text(text)
        found = self.conversations.message(conversation, message)
        swipes = found["swipes"]
        swipes[found["swipe"]] = text
        return self.conversations.set_swipes(conversation, message, swipes, found["swipe"])

    def swipe(self, conversation: str, message: str, swipe: int) -> Message:
        """The message showing another of its alternatives."""
        found = self.conversations.message(conversation, message)
        return self.conversations.set_swipes(conversation, message, found["swipes"], swipe)

    def prompt(self, conversation: str, text: str | None = None) -> Prompt:
        """The prompt the next reply would get (with text as the user's next message)."""
        history = self._history(conversation)
        turns = [Turn(m["id"], m["role"], m["text"]) for m in history if m["text"]]
        if text:
            turns.append(Turn("", "user", text))
        provider = self.provider_of(conversation)
        counter = self._counter(provider) if provider["base_url"] else None
        return self._build(conversation, turns, provider, counter)

    def import_chat(self, persona: str, jsonl: str) -> Conversation:
        """A new conversation from a SillyTavern chat file."""
        from pajamas.chat.sillytavern import parse, read_time  # noqa: PLC0415

        found = self._deps.personas.get(persona)
        chat = parse(jsonl)
        now = time.time()
        began = read_time(chat.header.get("create_date")) or now
        title = f"{chat.header.get('character_name') or found['name']} (imported)"
        conversation = self.conversations.create(persona, title, None, extra=chat.header,
                                                 at=began)
        self.conversations.add_many(conversation["id"], [
            (line.role, line.swipes, line.swipe,  # type: ignore[misc]  # roles are checked
             line.at if line.at is not None else began, line.extra) for line in chat.lines])
        return self._changed(self.conversations.get(conversation["id"]), "created")

    def export_chat(self, conversation: str) -> str:
        """The conversation as a SillyTavern chat file."""
        from pajamas.chat import sillytavern  # noqa: PLC0415

        found = self.conversations.get(conversation)
        name = self._deps.personas.get(found["persona"])["name"]
        user = self._deps.settings.chat_user_name
        header = self.conversations.header(conversation) or {
            "user_name": user, "character_name": name,
            "create_date": sillytavern.create_date(found["created_at"]), "chat_metadata": {}}
        extras = self.conversations.extras(conversation)
        lines = []
        for message in self.conversations.messages(conversation)["items"]:
            kept = extras.get(message["id"]) or {
                "name": {"user": user, "assistant": name}.get(message["role"], "System")}
            lines.append(sillytavern.ChatLine(message["role"], message["swipes"],
                                              message["swipe"], message["created_at"], kept))
        return sillytavern.render(sillytavern.ChatFile(header, lines))

    def warm(self) -> None:
        """Import the HTTP client in the background once (~1 s of CPU, ~3 s on a loaded
        machine), so that the first reply does not wait for it: called when a chat page
        lists or opens conversations."""
        with self._lock:
            if self._warmed:
                return
            self._warmed = True

        def run() -> None:
            import openai  # noqa: F401, PLC0415

        threading.Thread(target=run, name="pajamas-chat-warm", daemon=True).start()

    def provider_models(self, provider_id: str) -> list[str]:
        """The models a provider's server offers (the embedded server is started first)."""
        provider = self.providers.get(provider_id)
        if not provider["embedded"]:
            return self._client(provider).models()
        embedded = self._deps.embedded
        provider = {**provider, "base_url": embedded.acquire()}
        try:
            return self._client(provider).models()
        finally:
            embedded.release()

    def require_persona(self, persona: str) -> None:
        """`NotFound` unless the persona exists."""
        self._deps.personas.get(persona)

    def provider_of(self, conversation: str) -> Provider:
        """The conversation's provider (the default when it names none)."""
        chosen = self.conversations.get(conversation)["provider"]
        return self.providers.get(chosen) if chosen else self.providers.default()

    def close(self) -> None:
        """Stop the replies and the embedded server, close the clients."""
        self.replies.stop_all()
        self._deps.embedded.stop()
        with self._lock:
            for client in self._clients.values():
                client.close()
            for counter in self._counters.values():
                counter.close()

    # -- a reply ------------------------------------------------------------------------

    def _prepare(self, conversation: str, message: str) -> Prepared:
        """On the reply's thread: the provider ready, the prompt built."""
        provider = self.provider_of(conversation)
        if not provider["embedded"]:
            return self._prepare_for(conversation, message, provider)
        embedded = self._deps.embedded
        provider = {**provider, "base_url": embedded.acquire()}
        try:
            prepared = self._prepare_for(conversation, message, provider)
        except BaseException:
            embedded.release()
            raise
        prepared.release = embedded.release
        return prepared

    def _prepare_for(self, conversation: str, message: str, provider: Provider) -> Prepared:
        history = self._history(conversation, before=message)
        turns = [Turn(m["id"], m["role"], m["text"]) for m in history if m["text"]]
        counter = self._counter(provider)
        built = self._build(conversation, turns, provider, counter)
        settings = self._deps.settings
        toolbox = self._toolbox(conversation) if provider["tools"] else None
        request = Request(built.messages, provider["model"], settings.chat_max_tokens,
                          settings.chat_temperature,
                          tools=toolbox.specs if toolbox is not None else [])
        return Prepared(self._client(provider), request, built.memories, built.tokens,
                        counter.count, tools=toolbox)

    def _toolbox(self, conversation: str) -> tools.Toolbox | None:
        """The persona's plugins as tools (None when it has none with params, or the plugins
        are not up yet)."""
        persona = self.conversations.get(conversation)["persona"]
        offered = tools.offer(self._deps.calls.enabled(persona, wait=False))
        if not offered:
            return None
        deps = self._deps
        return tools.Toolbox(persona, offered, deps.calls, deps.grants, deps.consents,
                             deps.publish)

    def _build(self, conversation: str, turns: list[Turn], provider: Provider,
               counter: TokenCounter | None) -> Prompt:
        settings = self._deps.settings
        persona_id = self.conversations.get(conversation)["persona"]
        persona = self._deps.personas.get(persona_id)
        card = Card.of(persona["name"], settings.chat_user_name, persona["system_prompt"],
                       persona["description"], self._deps.personas.card(persona_id))
        budget = provider["context_tokens"] - settings.chat_max_tokens
        recalled = self._recall(persona_id, turns)
        return build(card, turns, recalled, budget=budget,
                     memory_share=settings.chat_memory_share,
                     count=counter.count if counter is not None else estimate)

    def _history(self, conversation: str, before: str | None = None) -> list[Message]:
        items: list[Message] = self.conversations.messages(conversation)["items"]
        if before is not None:
            ids = [m["id"] for m in items]
            items = items[:ids.index(before)] if before in ids else items
        return items

    def _client(self, provider: Provider) -> ProviderClient:
        key = (provider["id"], provider["base_url"], self.providers.key(provider["id"]))
        with self._lock:
            if key not in self._clients:
                self._clients[key] = ProviderClient(
                    provider["id"], provider["base_url"], key[2],
                    stall_s=self._deps.settings.chat_stall_s)
            return self._clients[key]

    def _counter(self, provider: Provider) -> TokenCounter:
        root = provider["base_url"].removesuffix("/v1")
        with self._lock:
            if root not in self._counters:
                self._counters[root] = TokenCounter(
                    root, api_key=self.providers.key(provider["id"]))
            return self._counters[root]

    # -- memory in the loop -------------------------------------------------------------

    def _recall(self, persona: str, turns: list[Turn]) -> list[Recalled]:
        """The persona's memories best for the last message, without those of the history."""
        memory = self._deps.memory.peek()
        query = next((t.text for t in reversed(turns) if t.role == "user"), "")
        if memory is None or not query or not self._deps.settings.chat_memory \
                or self._deps.settings.chat_memory_share <= 0:
            return []
        shown = {t.id for t in turns}
        try:
            if not memory.searchable():
                # The first reply after a start must not wait for the memory to open (the
                # model's load, LanceDB's import: seconds on a busy machine): this prompt
                # goes without memories while they open in the background.
                log.info("the memory is still opening: a prompt without memories")
                return []
            found = memory.search(persona, query, mode="hybrid", offset=0, limit=RECALL_LIMIT)
        except HubError as exc:  # a prompt without memories beats no reply
            log.warning("no memories for the prompt: %s", exc.message)
            return []
        return [Recalled(m["id"], m["text"], m["at"]) for m in found["items"]
                if m["metadata"].get("message") not in shown]

    def _remember(self, conversation: str, user: Message, reply: str, text: str) -> None:
        """Keep the user's message and the reply as memories of the persona, the conversation
        as their thread (the memory indexes each with the turns before it) and their times."""
        memory = self._deps.memory.peek()
        if memory is None or not self._deps.settings.chat_memory:
            return
        from pajamas.memory.model import check_new  # noqa: PLC0415

        persona = self.conversations.get(conversation)["persona"]
        name = self._deps.personas.get(persona)["name"]
        user_name = self._deps.settings.chat_user_name
        items = [check_new(f"{user_name}: {user['text']}", _meta(user["id"], "user"), None,
                           thread=conversation, at=user["created_at"]),
                 check_new(f"{name}: {text}", _meta(reply, "assistant"), None,
                           thread=conversation, at=time.time())]
        try:
            memory.add(persona, items)
        except HubError as exc:
            log.warning("the chat turn was not remembered: %s", exc.message)


def _meta(message: str, role: str) -> dict[str, Any]:
    return {"message": message, "role": role, "source": "chat"}
