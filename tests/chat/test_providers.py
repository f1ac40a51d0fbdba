"""provider.*: OpenAI-compatible servers, their keys kept apart, the embedded one listed."""

from __future__ import annotations

import stat

import pytest

from pajamas.errors import Conflict, InvalidParams, NotFound
from pajamas.rpc.client import Client
from tests.chat.fake_openai import FakeOpenAI
from tests.conftest import RunningCore


def test_the_embedded_provider_is_listed_first_and_is_the_default(chat: Client) -> None:
    items = chat.call("provider.list")["items"]
    assert [p["id"] for p in items] == ["embedded"]
    assert items[0]["embedded"] is True and items[0]["default"] is True
    with pytest.raises(InvalidParams):
        chat.call("provider.remove", {"id": "embedded"})


def test_providers_are_added_changed_tested_and_removed(chat: Client, fake: FakeOpenAI) -> None:
    added = chat.call("provider.add", {"id": "local", "base_url": fake.base_url + "/",
                                       "model": "fake-model", "default": True})
    assert added == {"id": "local", "base_url": fake.base_url, "model": "fake-model",
                     "context_tokens": 8192, "default": True, "embedded": False,
                     "has_key": False, "tools": False}
    listed = {p["id"]: p for p in chat.call("provider.list")["items"]}
    assert listed["embedded"]["default"] is False
    tested = chat.call("provider.test", {"id": "local"})
    assert tested["ok"] is True and tested["models"] == ["fake-model"]
    assert tested["latency_ms"] >= 0
    changed = chat.call("provider.update", {"id": "local", "context_tokens": 2048,
                                            "default": False})
    assert changed["context_tokens"] == 2048 and changed["default"] is False
    assert chat.call("provider.update", {"id": "local", "tools": True})["tools"] is True
    assert chat.call("provider.list")["items"][1]["tools"] is True
    with pytest.raises(InvalidParams):  # the embedded model takes no tool calls
        chat.call("provider.update", {"id": "embedded", "tools": True})
    with pytest.raises(Conflict):
        chat.call("provider.add", {"id": "local", "base_url": fake.base_url})
    with pytest.raises(InvalidParams) as bad:
        chat.call("provider.add", {"id": "x", "base_url": "ftp://nowhere"})
    assert bad.value.field == "base_url"
    assert chat.call("provider.remove", {"id": "local"}) == {"removed": True}
    with pytest.raises(NotFound):
        chat.call("provider.remove", {"id": "local"})


def test_a_server_that_is_not_there_fails_the_test_with_a_clear_message(chat: Client) -> None:
    chat.call("provider.add", {"id": "gone", "base_url": "http://127.0.0.1:9/v1"})
    tested = chat.call("provider.test", {"id": "gone"})
    assert tested["ok"] is False and tested["models"] == []
    assert "could not connect to provider 'gone'" in tested["error"]
    assert "is the server running?" in tested["error"]


def test_keys_live_in_a_private_file_and_are_never_returned(
        chat_core: RunningCore, chat: Client, fake: FakeOpenAI) -> None:
    secret = "sk-test-0123456789"
    added = chat.call("provider.add", {"id": "hosted", "base_url": fake.base_url,
                                       "api_key": secret})
    assert added["has_key"] is True and secret not in repr(added)
    assert secret not in repr(chat.call("provider.list"))
    keys = chat_core.home / "secrets" / "provider-keys.json"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.parent.stat().st_mode) == 0o700
    assert secret in keys.read_text()
    assert chat.call("provider.test", {"id": "hosted"})["ok"] is True  # the key is sent
    for path in chat_core.home.rglob("*"):
        if path.is_file() and path != keys and path.suffix in (".toml", ".log", ".out", ""):
            assert secret not in path.read_text(errors="replace"), path
    removed = chat.call("provider.update", {"id": "hosted", "api_key": ""})
    assert removed["has_key"] is False and secret not in keys.read_text()
