"""The provider.* and chat.* methods, and `install`, which adds the chat to the core.

`install` adds the "chat" start-up stage (cheap: the stores on the metadata database; the
`openai` package is imported on the first reply, the embedded model server started on the
first reply it answers).  Memory is used once it is up: the chat never waits for it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from pajamas.chat.model import Conversation, Message, Provider, check_page
from pajamas.errors import HubError
from pajamas.rpc.methods import Registry
from pajamas.stages import Slot

if TYPE_CHECKING:
    from pajamas.chat.service import ChatService
    from pajamas.context import Context
    from pajamas.memory.service import MemoryService
    from pajamas.monitor.watchlist import Watchlist
    from pajamas.personas.service import PersonaService
    from pajamas.plugins.methods import PluginSlots
    from pajamas.store.metadata import MetadataStore

DEFAULT_CONTEXT_TOKENS = 8192


def install(ctx: Context, metadata: Slot[MetadataStore], personas: Slot[PersonaService],
            memory: Slot[MemoryService], watchlist: Watchlist, *,
            plugins: PluginSlots) -> Slot[ChatService]:
    """Add the "chat" stage and the provider.* and chat.* methods; the service's slot.

    The persona's plugins are called (slash commands, models' tool calls) once they are up.
    """
    chat = ctx.stages.add("chat", lambda: _service(ctx, metadata.get(), personas.get(), memory,
                                                   watchlist, plugins=plugins),
                          stop=lambda service: service.close(), needs=(metadata, personas))
    register(ctx.registry, chat)
    return chat


def _service(ctx: Context, store: MetadataStore, personas: PersonaService,
             memory: Slot[MemoryService], watchlist: Watchlist, *,
             plugins: PluginSlots) -> ChatService:
    from pajamas.chat.calls import PluginCalls  # noqa: PLC0415
    from pajamas.chat.consent import Consents  # noqa: PLC0415
    from pajamas.chat.conversations import Conversations  # noqa: PLC0415
    from pajamas.chat.embedded import EmbeddedConfig, EmbeddedServer  # noqa: PLC0415
    from pajamas.chat.grants import ToolGrants  # noqa: PLC0415
    from pajamas.chat.keys import KeyFile  # noqa: PLC0415
    from pajamas.chat.providers import Providers  # noqa: PLC0415
    from pajamas.chat.replies import Replies  # noqa: PLC0415
    from pajamas.chat.service import ChatDeps, ChatService  # noqa: PLC0415
    from pajamas.chat.tokens import estimate  # noqa: PLC0415

    settings = ctx.settings
    embedded = EmbeddedServer(EmbeddedConfig(
        model=settings.chat_embedded_model, context_tokens=settings.chat_embedded_context_tokens,
        threads=settings.chat_embedded_threads, idle_s=settings.chat_embedded_idle_s,
        start_timeout_s=settings.chat_embedded_start_timeout_s,
        log_path=ctx.home / "logs" / "embedded-llm.log"), ctx.publish, watchlist)
    providers = Providers(store, KeyFile(ctx.home),
                          embedded_context=settings.chat_embedded_context_tokens,
                          embedded_url=lambda: embedded.url, clock=ctx.clock)
    replies = Replies(ctx.publish, estimate)
    conversations = Conversations(store, clock=ctx.clock, writing=replies.writing)
    return ChatService(ChatDeps(settings=settings, personas=personas, memory=memory,
                                conversations=conversations,
                                providers=providers, embedded=embedded, replies=replies,
                                calls=PluginCalls(plugins),
                                grants=ToolGrants(store, clock=ctx.clock),
                                consents=Consents(ctx.publish), publish=ctx.publish))


def register(registry: Registry, chat: Slot[ChatService]) -> None:
    """Add the provider.* and chat.* methods, served by the service in the slot."""
    _register_providers(registry, chat)
    _register_conversations(registry, chat)
    _register_replies(registry, chat)
    _register_tools(registry, chat)


def _register_providers(registry: Registry, chat: Slot[ChatService]) -> None:
    def list_() -> dict[str, Any]:
        """List the model providers, the embedded one first: {"items": [provider]}.

        A provider is {"id", "base_url", "model", "context_tokens", "default", "embedded",
        "has_key", "tools"}; its API key is never returned.
        """
        return {"items": chat.get().providers.list()}

    def add(id: str, base_url: str, *, model: str = "", api_key: str | None = None,
            context_tokens: int = DEFAULT_CONTEXT_TOKENS, default: bool = False,
            tools: bool = False) -> Provider:
        """Add an OpenAI-compatible server as a provider; returns it.

        `base_url` ends with /v1 (llama.cpp "http://127.0.0.1:8080/v1", Ollama
        "http://127.0.0.1:11434/v1", a hosted API's URL); `api_key` is kept in a 0600 file
        under the home, never in settings.toml, never returned; `default` makes it the
        provider of conversations that name none; `tools` says the server takes OpenAI tool
        calls: its replies are then offered the persona's plugins as tools.
        """
        return chat.get().providers.add(id, base_url, model, api_key=api_key,
                                        context_tokens=context_tokens, default=default,
                                        tools=tools)

    def update(id: str, *, base_url: str | None = None, model: str | None = None,
               api_key: str | None = None, context_tokens: int | None = None,
               default: bool | None = None, tools: bool | None = None) -> Provider:
        """Change a provider's fields (left out: kept; api_key "": removed); returns it.

        The embedded provider takes only `default` (it takes no tool calls).
        """
        return chat.get().providers.update(id, base_url=base_url, model=model, api_key=api_key,
                                           context_tokens=context_tokens, default=default,
                                           tools=tools)

    def remove(id: str) -> dict[str, Any]:
        """Remove a provider and its key: {"removed": true}; its conversations use the default."""
        chat.get().providers.remove(id)
        return {"removed": True}

    def test(id: str) -> dict[str, Any]:
        """Ask a provider for its models: {"ok", "models", "latency_ms", "error"?}.

        The embedded provider's server is started if it is not running.  A failure is not an
        error of the call: `ok` is false and `error` says what went wrong.
        """
        service = chat.get()
        began = time.monotonic()
        try:
            models = service.provider_models(id)
        except HubError as exc:
            return {"ok": False, "models": [], "latency_ms": _ms(began), "error": exc.message}
        return {"ok": True, "models": models, "latency_ms": _ms(began)}

    for name, func in (("list", list_), ("add", add), ("update", update), ("remove", remove),
                       ("test", test)):
        registry.add(f"provider.{name}", func)


def _register_conversations(registry: Registry, chat: Slot[ChatService]) -> None:
    def create(persona: str, title: str | None = None,
               provider: str | None = None) -> Conversation:
        """Start a conversation with a persona; returns it.

        It opens with the card's first message (`first_mes`), its `alternate_greetings` as
        that message's swipes.  A conversation is {"id", "persona", "title", "provider",
        "created_at", "updated_at", "messages", "writing"}; `provider` null means the default
        provider; `writing` is the id of the reply being written in it, or null.  Creating,
        updating, deleting and importing publish `chat.changed` {"persona", "conversation",
        "change": "created"|"updated"|"deleted"}.
        """
        service = chat.get()
        service.warm()
        return service.create(persona, title, provider)

    def list_(persona: str, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        """List a persona's conversations, most recent first: {"items", "total"}."""
        check_page(offset, limit)
        service = chat.get()
        service.warm()
        return service.conversations.page(persona, offset, limit)

    def get(conversation: str) -> Conversation:
        """Return one conversation; not_found if there is none with that id."""
        return chat.get().conversations.get(conversation)

    def update(conversation: str, title: str | None = None,
               provider: str | None = None) -> Conversation:
        """Change a conversation's title or provider; returns it.

        A provider of "" goes back to the default provider.
        """
        return chat.get().update(conversation, title, provider)

    def delete(conversation: str) -> dict[str, Any]:
        """Delete a conversation and its messages: {"deleted": true}.

        A reply being written in it is stopped first.
        """
        chat.get().delete(conversation)
        return {"deleted": True}

    def messages(conversation: str, offset: int = 0, limit: int = 100) -> dict[str, Any]:
        """List a conversation's messages, oldest first: {"items": [message], "total"}.

        A message is {"id", "conversation", "role", "text", "swipes", "swipe", "created_at",
        "memories", "usage", "tools", "finish_reason", "error"}: `text` is swipes[swipe];
        `memories` the ids of the memories its prompt showed; `usage` {"prompt_tokens",
        "completion_tokens", "ttft_ms", "tokens_per_s"} for a reply; `tools` the plugin calls
        it shows (a slash command's system message, a reply's tool calls): [{"call", "plugin",
        "function", "arguments", "decision", "output", "error", "hint"}]; `finish_reason`
        and `error` how the shown swipe's reply ended, as its chat.done said (null for
        messages no reply wrote, and while it is written).
        """
        check_page(offset, limit)
        return chat.get().conversations.messages(conversation, offset, limit)

    for name, func in (("create", create), ("list", list_), ("get", get), ("update", update),
                       ("delete", delete), ("messages", messages)):
        registry.add(f"chat.{name}", func)


def _register_replies(registry: Registry, chat: Slot[ChatService]) -> None:
    def send(conversation: str, text: str) -> dict[str, Any]:
        """Send the user's message; the reply is written in the background.

        Returns at once {"message": the user's message, "reply": the reply's id}.  The reply
        streams as `chat.delta` events {"conversation", "message", "delta"} and ends with one
        `chat.done` {"conversation", "message", "text", "finish_reason", "usage", "error"?};
        finish_reason is "stop", "length", "cancelled" (chat.stop) or "error" (the provider
        failed: `error` says how).  A conversation writes one reply at a time (conflict).

        A text "/PLUGIN FUNCTION {args}" or "/COMMAND {args}" calls a plugin enabled for the
        persona instead (as plugin.call does) and stores its outcome as a system message; no
        reply is written, and the result is {"message", "reply": the system message's id,
        "system": the system message}.  A command that cannot be read is invalid_params and
        stores nothing.  Start the text with "//" to send one beginning with "/".
        """
        return chat.get().send(conversation, text)

    def stop(conversation: str) -> dict[str, Any]:
        """Stop the reply being written: {"stopped": bool}; its partial text is kept."""
        return {"stopped": chat.get().replies.stop(conversation)}

    def regenerate(conversation: str) -> dict[str, Any]:
        """Write the last reply again as a new swipe: {"reply": id}; it streams as chat.send's."""
        return chat.get().regenerate(conversation)

    def swipe(conversation: str, message: str, swipe: int) -> Message:
        """Show another alternative (swipe index) of a message; returns the message."""
        return chat.get().swipe(conversation, message, swipe)

    def edit(conversation: str, message: str, text: str) -> Message:
        """Replace the shown text of a message; returns the message."""
        return chat.get().edit(conversation, message, text)

    def delete_message(conversation: str, message: str) -> dict[str, Any]:
        """Delete one message of a conversation: {"deleted": true}."""
        chat.get().conversations.delete_message(conversation, message)
        return {"deleted": True}

    def prompt(conversation: str, text: str | None = None) -> dict[str, Any]:
        """Return the prompt the next reply would get, without sending it.

        {"messages": [{"role", "content"}], "sections": [{"name", "tokens"}], "tokens",
        "budget"}; `text` is taken as the user's next message.  Sections: system, lorebook,
        memories, examples, history, post_history.  The budget is the provider's
        context_tokens minus chat_max_tokens.
        """
        return chat.get().prompt(conversation, text).view()

    def export(conversation: str) -> dict[str, Any]:
        """Export a conversation as a SillyTavern chat file: {"jsonl": str}.

        A header line {"user_name", "character_name", "create_date", "chat_metadata"}, then
        one message a line {"name", "is_user", "send_date", "mes", "swipes", "swipe_id", …};
        an imported chat gives back the fields the hub does not model.
        """
        return {"jsonl": chat.get().export_chat(conversation)}

    def import_(persona: str, jsonl: str) -> Conversation:
        """Import a SillyTavern chat file (JSONL, old or new form) as a conversation; returns it.

        Unknown fields are kept for export; a broken file is invalid_params naming its line.
        """
        return chat.get().import_chat(persona, jsonl)

    for name, func in (("export", export), ("import", import_), ("send", send), ("stop", stop),
                       ("regenerate", regenerate), ("swipe", swipe), ("edit", edit),
                       ("delete_message", delete_message), ("prompt", prompt)):
        registry.add(f"chat.{name}", func)


def _register_tools(registry: Registry, chat: Slot[ChatService]) -> None:
    def tool_decide(conversation: str, call: str, decision: str) -> dict[str, Any]:
        """Answer a model's tool call that waits for the user: {"decided": true}.

        The call is the one a chat.tool_request event named.  decision "once" runs this
        call; "always" runs it and every later call of the same plugin for the persona
        without asking (until chat.tool_revoke); "decline" tells the model the user refused.
        not_found when no such call waits (answered, or stopped).
        """
        chat.get().consents.decide(conversation, call, decision)
        return {"decided": True}

    def tool_pending(conversation: str) -> dict[str, Any]:
        """List the tool calls of a conversation waiting for a decision: {"items": [request]}.

        Each is as its chat.tool_request event: {"conversation", "message", "call", "plugin",
        "function", "arguments"}.
        """
        return {"items": chat.get().consents.pending(conversation)}

    def tool_grants(persona: str) -> dict[str, Any]:
        """List the plugins a persona (by id) lets models call without asking: {"items"}.

        Each item is {"plugin", "granted_at"}: the user answered a call "always".
        """
        service = chat.get()
        service.require_persona(persona)
        return {"items": service.grants.list(persona)}

    def tool_revoke(persona: str, plugin: str) -> dict[str, Any]:
        """Ask again before a model's next call of the plugin for the persona (by id).

        Returns {"revoked": bool}: false when there was no grant.
        """
        service = chat.get()
        service.require_persona(persona)
        return {"revoked": service.grants.revoke(persona, plugin)}

    for name, func in (("tool_decide", tool_decide), ("tool_pending", tool_pending),
                       ("tool_grants", tool_grants), ("tool_revoke", tool_revoke)):
        registry.add(f"chat.{name}", func)


def _ms(since: float) -> float:
    return round((time.monotonic() - since) * 1000.0, 3)
