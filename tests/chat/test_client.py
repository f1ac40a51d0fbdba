"""The provider client's border: every failure of a server becomes ProviderFailed."""

from __future__ import annotations

import threading

import pytest

from pajamas.chat.client import Delta, Finish, ProviderClient, Request
from pajamas.errors import ProviderFailed
from tests.chat.fake_openai import FakeOpenAI

REQUEST = Request([{"role": "user", "content": "Hi"}], "fake-model", 64, 0.5, ["\n\n"])


def client(fake: FakeOpenAI, stall_s: float = 5.0) -> ProviderClient:
    return ProviderClient("fake", fake.base_url, "sk-x", stall_s=stall_s)


def test_a_stream_is_deltas_then_one_finish_with_the_usage(fake: FakeOpenAI) -> None:
    events = list(client(fake).stream(REQUEST, 1))
    assert events[:-1] == [Delta(w) for w in fake.words]
    assert events[-1] == Finish("stop", 42, len(fake.words))
    [sent] = fake.requests
    assert sent["stop"] == ["\n\n"] and sent["temperature"] == 0.5 and sent["max_tokens"] == 64


@pytest.mark.parametrize(("mode", "status", "message"), [
    ("401", 401, "refused the API key"), ("500", 500, "the server failed"),
    ("cut", None, "cut the stream"), ("malformed", None, "malformed stream chunk"),
    ("stall", None, "sent nothing for too long"),
])
def test_each_failure_is_a_provider_failed(fake: FakeOpenAI, mode: str, status: int | None,
                                           message: str) -> None:
    fake.mode = mode
    with pytest.raises(ProviderFailed, match=message) as failed:
        list(client(fake, stall_s=0.5).stream(REQUEST, 1))
    assert failed.value.data["status"] == status and failed.value.data["provider"] == "fake"
    assert "sk-x" not in failed.value.message


def test_a_refused_connection_says_to_check_the_server() -> None:
    gone = ProviderClient("gone", "http://127.0.0.1:9/v1", None)
    with pytest.raises(ProviderFailed, match="could not connect to provider 'gone'"):
        gone.models()


def test_close_stream_wakes_a_reader_waiting_on_a_silent_server(fake: FakeOpenAI) -> None:
    fake.mode = "stall"
    talker = client(fake, stall_s=600.0)
    seen: list[object] = []
    first = threading.Event()

    def read() -> None:
        try:
            for event in talker.stream(REQUEST, 7):
                seen.append(event)
                first.set()
        except ProviderFailed as exc:  # replies.py calls it cancelled: it asked for the close
            seen.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    assert first.wait(30)
    assert talker.close_stream(7) is True
    reader.join(30)  # far less than the 600 s the silence would otherwise last
    assert not reader.is_alive()
    assert seen[0] == Delta("Hello") and isinstance(seen[-1], ProviderFailed)
    assert talker.close_stream(7) is False
