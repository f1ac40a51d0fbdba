"""Chat benchmarks: the prompt at scale, what the hub adds to a reply, the embedded model.

Replies are timed at a client of the core, from chat.send to the chat.delta events
(`perf/chat_replies.py`).  The overheads compare the hub with the same request sent straight
to the same server by the hub's own client, in pairs run back to back (alternating which goes
first).  Those of the hub's own path run on `perf/openai_stub.py`, a local server that answers
at once and the same way every time: the embedded model's first token waits for its prompt's
evaluation, tens to hundreds of ms that vary with the load and would drown a 30 ms bound.  The
embedded benchmarks run the embedded model itself (SmolLM2-135M on llama-cpp-python's server).
Every core points at the machine's shared export of the embedding model (`memory_core`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from pajamas.chat.service import RECALL_LIMIT
from pajamas.config import Settings
from pajamas.perf.benchmark import Context, Measurement
from pajamas.perf.benchmarks.memory import memory_core, texts
from pajamas.perf.big_persona import persona_with_memories
from pajamas.perf.chat_replies import (
    EventTap,
    direct_reply,
    hub_reply,
    prompt_request,
    wait_for,
)
from pajamas.perf.openai_stub import MODEL, StubServer, token_index
from pajamas.perf.overheads import Paired, median, stream_rate, token_delays
from pajamas.perf.registry import benchmark
from pajamas.perf.timing import NS_PER_MS, time_calls
from pajamas.rpc.client import Client

EMBEDDED_MODEL: Final = "SmolLM2-135M-Instruct"
STREAM_INTERVAL_S: Final = 0.02  # a 50 tokens/s model
REMEMBERED_S: Final = 30.0
STORY: Final = "Tell me a long story about a lighthouse keeper and a storm, in many sentences."
WARMUP: Final = 2


@benchmark(name="chat.prompt_build", unit="ms")
def prompt_build(ctx: Context) -> Measurement:
    """`chat.prompt` through RPC for a persona of 100,000 memories and a 200-entry lorebook.

    chat.prompt builds a reply's prompt by the same code (memories recalled by a hybrid search
    of the message, the lorebook scanned, the budget packed); each message is a new question,
    so neither the search's cache nor the query's embedding answers.  The provider is the
    embedded one, not started, so tokens are estimated (a reply to a running llama.cpp-style
    server asks it to count each new text once).  Extra: a bare memory.search of as many
    other questions (hybrid, top 20, as the recall), median: the prompt's share that is
    memory search.  Knobs (scaled by ctx): memories 100,000
    (at least 1,000), lorebook entries 200 (at least 20), prompts 200.
    """
    source = texts(ctx)
    size, entries = ctx.count(100_000, minimum=1_000), ctx.count(200, minimum=20)
    asked = source.questions[:ctx.count(200, minimum=10) + WARMUP]
    with memory_core(ctx.workdir) as client:
        persona = persona_with_memories(client, ctx.workdir / "home", source, size,
                                        lore_entries=entries)
        conversation = client.call("chat.create", {"persona": persona})["id"]
        feed, last = iter(asked), dict[str, Any]()

        def one() -> None:
            last.update(client.call("chat.prompt", {"conversation": conversation,
                                                    "text": next(feed)}))

        samples = time_calls(one, len(asked) - WARMUP, warmup=WARMUP, ns_per_unit=NS_PER_MS)
        others = iter(source.questions[len(asked):2 * len(asked)])
        search = time_calls(lambda: client.call("memory.search", {
            "persona": persona, "query": next(others), "limit": RECALL_LIMIT}), len(asked) - WARMUP,
            warmup=WARMUP, ns_per_unit=NS_PER_MS)
    sections = {s["name"]: s["tokens"] for s in last["sections"]}
    return Measurement(samples, extra={
        "memories": size, "lore_entries": entries, "prompt_tokens": last["tokens"],
        "memory_tokens": sections.get("memories", 0),
        "lorebook_tokens": sections.get("lorebook", 0), "search_p50_ms": median(search),
        **source.extra})


def use_stub(client: Client, stub: StubServer) -> None:
    """Make the stub the default provider of the core's conversations."""
    client.call("provider.add", {"id": "stub", "base_url": stub.base_url, "model": MODEL,
                                 "default": True})


@benchmark(name="chat.ttft_overhead", unit="ms")
def ttft_overhead(ctx: Context) -> Measurement:
    """Time to first token through the hub minus straight to the server, pair by pair.

    Through the hub: from chat.send to the reply's first chat.delta at a client (the message
    stored, memories recalled from a 2,000-memory persona, the prompt built, the server asked,
    the delta published).  Direct: the same prompt (chat.prompt's messages) streamed by the
    hub's own client.  Each pair starts a new conversation and waits for the turn to be
    remembered.  Extra: each side's median and the difference of the medians.  Knobs: pairs
    40, memories 2,000 (at least 200).
    """
    source = texts(ctx)
    asked = source.questions[:ctx.count(40, minimum=3) + WARMUP]
    settings = Settings()
    with StubServer(tokens=4) as stub, memory_core(ctx.workdir) as client:
        persona = persona_with_memories(client, ctx.workdir / "home", source,
                                        ctx.count(2_000, minimum=200))
        use_stub(client, stub)
        tap = EventTap(client, ("chat.", "memory.changed"))
        direct = _provider_client(stub.base_url)
        try:
            hub, straight = [], []
            for n, text in enumerate(asked):
                conversation = client.call("chat.create", {"persona": persona})["id"]
                request = prompt_request(client, conversation, text, model=MODEL,
                                         max_tokens=settings.chat_max_tokens,
                                         temperature=settings.chat_temperature)

                def through_hub(conversation: str = conversation, text: str = text) -> float:
                    first = hub_reply(client, tap, conversation, text).first_ms
                    wait_for(tap, "memory.changed", {"persona": persona}, REMEMBERED_S)
                    return first

                pair = _in_turn(n, through_hub,
                                lambda n=n, request=request: direct_reply(direct, request,
                                                                          n).first_ms)
                if n >= WARMUP:
                    hub.append(pair[0])
                    straight.append(pair[1])
        finally:
            direct.close()
            tap.close()
    paired = Paired(hub, straight)
    return Measurement(paired.differences, extra={
        "hub_p50_ms": median(hub), "direct_p50_ms": median(straight),
        "median_difference_ms": paired.median_difference(), **source.extra})


def _in_turn(n: int, first: Any, second: Any) -> tuple[float, float]:
    """(first(), second()), run in that order for even n and the other way for odd n."""
    if n % 2:
        b = second()
        return first(), b
    a = first()
    return a, second()


def _provider_client(base_url: str) -> Any:
    from pajamas.chat.client import ProviderClient  # noqa: PLC0415  (imports openai)

    return ProviderClient("direct", base_url, None)


@benchmark(name="chat.stream_overhead", unit="ms")
def stream_overhead(ctx: Context) -> Measurement:
    """Each token's delay from the server writing it to its chat.delta at a client.

    The stub writes a token every 20 ms (a 50 tokens/s model) and notes when; the client
    notes each delta's arrival (the same monotonic clock).  The page's own delay (the window's
    event batches) is not measured here.  Knobs: replies 20, tokens per reply 50.
    """
    replies, tokens = ctx.count(20, minimum=2), ctx.count(50, minimum=5)
    delays: list[float] = []
    with StubServer(tokens, STREAM_INTERVAL_S) as stub, memory_core(ctx.workdir) as client:
        persona = client.call("persona.create", {"name": "bench"})["id"]
        use_stub(client, stub)
        conversation = client.call("chat.create", {"persona": persona})["id"]
        tap = EventTap(client, ("chat.",))
        try:
            hub_reply(client, tap, conversation, "warm-up")  # imports the HTTP client
            for n in range(replies):
                streamed = hub_reply(client, tap, conversation, f"Message number {n}.")
                arrived = {token_index(text): at for text, at
                           in zip(streamed.texts, streamed.arrivals, strict=True)}
                delays += token_delays(dict(stub.sent), {
                    k: v for k, v in arrived.items() if k is not None})
        finally:
            tap.close()
    return Measurement(delays, extra={"replies": replies, "tokens_per_reply": tokens,
                                      "interval_ms": STREAM_INTERVAL_S * 1000})


@benchmark(name="chat.embedded_ready", unit="ms")
def embedded_ready(ctx: Context) -> Measurement:
    """From a fresh core's first chat.send to the reply's first chat.delta (embedded model).

    Each sample is a new core on a new home: the embedded model server starts on that send.
    The reply is stopped after its first delta.  Extra: the server's own start time
    (chat.embedded's duration_s), median.  Knob: cores 3.
    """
    samples, starts = [], []
    for n in range(ctx.count(3, minimum=1)):
        first, start_s = _first_reply(ctx.workdir / f"core{n}")
        samples.append(first)
        if start_s is not None:
            starts.append(start_s * 1000)
    extra = {"server_start_p50_ms": median(starts)} if starts else {}
    return Measurement(samples, extra=extra)


def _first_reply(workdir: Path) -> tuple[float, float | None]:
    """ms to a fresh core's first delta, and how long its embedded server took to start."""
    with memory_core(workdir) as client:
        persona = client.call("persona.create", {"name": "bench"})["id"]
        conversation = client.call("chat.create", {"persona": persona})["id"]
        tap = EventTap(client, ("chat.",))
        try:
            streamed = hub_reply(client, tap, conversation, "Hello! Who are you?",
                                 stop_after=1)
        finally:
            tap.close()
    started = [e.data.get("duration_s") for e in streamed.others
               if e.topic == "chat.embedded" and e.data.get("status") == "done"]
    return streamed.first_ms, started[0] if started else None


@benchmark(name="chat.embedded_tokens_per_s", unit="ratio", better="higher")
def embedded_tokens_per_s(ctx: Context) -> Measurement:
    """The embedded model's token rate through the hub over its rate asked directly, per pair.

    A rate is the pieces (llama-cpp-python sends a token a piece) after the first over the
    time from the first to the last, at the client.  Both sides send the same prompt at
    temperature 0 (so they write the same reply), memory off (no embedding competes for the
    CPU between them).  Extra: each side's median rate and the ratio of the medians.  Knobs:
    pairs 5, max_tokens 256 (at least 32).
    """
    pairs, max_tokens = ctx.count(5, minimum=1), ctx.count(256, minimum=32)
    settings = {"PAJAMAS_CHAT_MEMORY": "false", "PAJAMAS_CHAT_TEMPERATURE": "0",
                "PAJAMAS_CHAT_MAX_TOKENS": str(max_tokens)}
    hub, straight, pieces = list[float](), list[float](), list[float]()
    with memory_core(ctx.workdir, settings) as client:
        persona = client.call("persona.create", {"name": "bench"})["id"]
        tap = EventTap(client, ("chat.",))
        try:
            warm = client.call("chat.create", {"persona": persona})["id"]
            hub_reply(client, tap, warm, "Hello!", stop_after=1)  # starts the server
            direct = _provider_client(_embedded_url(client))
            for n in range(pairs):
                conversation = client.call("chat.create", {"persona": persona})["id"]
                request = prompt_request(client, conversation, STORY, model=EMBEDDED_MODEL,
                                         max_tokens=max_tokens, temperature=0.0)
                via_hub, asked = _in_turn(n, lambda c=conversation: _hub_rate(
                    client, tap, c, pieces), lambda n=n, r=request: stream_rate(
                        direct_reply(direct, r, n).arrivals))
                hub.append(via_hub)
                straight.append(asked)
            direct.close()
        finally:
            tap.close()
    paired = Paired(hub, straight)
    return Measurement(paired.ratios, extra={
        "hub_tokens_per_s": median(hub), "direct_tokens_per_s": median(straight),
        "median_ratio": paired.median_ratio(), "pieces_p50": median(pieces)})


def _hub_rate(client: Client, tap: EventTap, conversation: str, pieces: list[float]) -> float:
    streamed = hub_reply(client, tap, conversation, STORY)
    pieces.append(len(streamed.arrivals))
    return stream_rate(streamed.arrivals)


def _embedded_url(client: Client) -> str:
    """The running embedded server's base URL (…/v1)."""
    items = client.call("provider.list")["items"]
    url = next(str(p["base_url"]) for p in items if p["embedded"])
    if not url:
        raise RuntimeError("the embedded model server is not running after a reply")
    return url
