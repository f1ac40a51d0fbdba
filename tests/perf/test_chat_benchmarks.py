"""The chat benchmarks' parts: the stub provider, streamed by the hub's own client, and the
lorebook of the persona at scale; and two of the benchmarks at a tiny scale on real cores.

What they record, never how fast anything was.
"""

from __future__ import annotations

import pytest

from pajamas.chat.client import ProviderClient, Request
from pajamas.chat.lorebook import read_book
from pajamas.perf import budgets, runner
from pajamas.perf.big_persona import lorebook
from pajamas.perf.chat_replies import direct_reply
from pajamas.perf.openai_stub import MODEL, StubServer, token_index, token_text
from pajamas.perf.registry import all_benchmarks

NAMES = {"chat.prompt_build", "chat.ttft_overhead", "chat.stream_overhead",
         "chat.embedded_ready", "chat.embedded_tokens_per_s"}


def test_the_stub_streams_its_tokens_to_the_hubs_client_and_notes_when() -> None:
    with StubServer(tokens=5) as stub:
        client = ProviderClient("stub", stub.base_url, None)
        try:
            assert client.models() == [MODEL]
            streamed = direct_reply(client, Request([{"role": "user", "content": "hi"}],
                                                    MODEL, 16), key=1)
        finally:
            client.close()
    assert streamed.texts == [token_text(n) for n in range(5)]
    assert [token_index(t) for t in streamed.texts] == [0, 1, 2, 3, 4]
    assert sorted(stub.sent) == [0, 1, 2, 3, 4] and stub.requests == 1
    assert all(stub.sent[n] <= at for n, at in enumerate(streamed.arrivals))
    assert token_index("hello") is None and streamed.first_ms > 0


def test_the_lorebook_is_read_whole_by_the_prompt() -> None:
    book = read_book(lorebook(200))
    assert len(book.entries) == 200 and book.token_budget == 1024
    assert sum(e.constant for e in book.entries) == 8
    assert {e.position for e in book.entries} == {"before_char", "after_char"}


def test_every_chat_benchmark_is_registered_with_a_budget() -> None:
    found = {b.name: b for b in all_benchmarks() if b.name.startswith("chat.")}
    assert set(found) == NAMES
    shipped = budgets.load()
    assert all(shipped.of(name) for name in NAMES)
    assert [t.stat for t in shipped.of("chat.stream_overhead")] == ["p99"]
    assert [t.op for t in shipped.of("chat.embedded_tokens_per_s")] == [">="]


@pytest.mark.timeout(900)
def test_prompt_build_and_stream_overhead_run_for_real() -> None:
    record = runner.run(["chat.prompt_build", "chat.stream_overhead"], scale=0.01)
    prompt, stream = record["benchmarks"]
    for bench in (prompt, stream):
        assert bench["error"] is None and bench["not_run"] is None, bench
    assert prompt["n"] == 10 and prompt["extra"]["memories"] == 1_000
    assert prompt["extra"]["lore_entries"] == 20 and prompt["extra"]["memory_tokens"] > 0
    assert stream["n"] == 2 * 5 and all(s >= 0 for s in stream["samples"])
