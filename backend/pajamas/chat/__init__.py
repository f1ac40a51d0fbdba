"""Chat: conversations with a persona, answered by OpenAI-compatible model servers.

::

    methods.py        install, and the provider.* and chat.* methods
    service.py        ChatService: joins the parts below; memory in the loop
    model.py          providers, conversations, messages as the protocol shows them; checks
    providers.py      the providers (metadata database), the embedded one always first
    keys.py           API keys in a 0600 file under the home
    client.py         ProviderClient: models and streamed completions (openai package); the
                      border that turns every failure into ProviderFailed
    embedded.py       the embedded model server (llama-cpp-python) as a child process
    conversations.py  conversations and messages (metadata database)
    replies.py        a reply written on its thread: chat.delta events, one chat.done
    prompt.py         the prompt: card, lorebook, memories, examples, history, within a budget
    lorebook.py       which lorebook entries a prompt gets
    tokens.py         token counts: the server's /tokenize, else a documented estimate
    sillytavern.py    SillyTavern's chat files (JSONL), read and written
    calls.py          PluginCalls: the persona's enabled plugins, called as plugin.call does
    slash.py          slash commands: /plugin function {args}, short forms, // to escape
    tools.py          plugins as a model's tools: offered, decided, run, answered (rounds)
    consent.py        tool calls waiting for the user's decision (chat.tool_decide)
    grants.py         the plugins a persona lets models call without asking (metadata database)
"""
