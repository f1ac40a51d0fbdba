"""The js_api bridge answers every call with an envelope, against a real core."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import psutil
import pytest

from pajamas.rpc.client import Client
from pajamas.shell.bridge import Bridge
from pajamas.shell.pool import CallPool
from tests.conftest import HELD_S, PATIENCE_S, RunningCore, stop

WORKERS = 2


@pytest.fixture
def pool() -> CallPool:
    return CallPool(WORKERS, name="test-bridge")


@pytest.fixture
def bridge(client: Client, pool: CallPool) -> Bridge:
    return Bridge(lambda: client, pool)


def from_new_thread(bridge: Bridge, method: str, params: dict[str, object] | None = None
                    ) -> dict[str, object]:
    """Call as pywebview does: on a thread made for this one call."""
    out: list[dict[str, object]] = []
    thread = threading.Thread(target=lambda: out.append(dict(bridge.call(method, params))))
    thread.start()
    thread.join(PATIENCE_S)
    return out[0]


def test_a_result_comes_back_in_an_ok_envelope(bridge: Bridge) -> None:
    envelope = from_new_thread(bridge, "system.ping")
    assert envelope["ok"] is True
    assert envelope["result"]["pong"] is True  # type: ignore[index]
    json.dumps(envelope, allow_nan=False)  # what pywebview does with it


def test_an_error_reply_keeps_its_code_message_and_data(bridge: Bridge) -> None:
    envelope = from_new_thread(bridge, "no.such_method")
    assert envelope == {"ok": False, "error": {
        "code": "unknown_method",
        "message": "unknown method 'no.such_method'",
        "data": {"method": "no.such_method", "hint": "system.methods"}}}

    envelope = from_new_thread(bridge, "debug.sleep", {"seconds": -1})
    assert envelope["ok"] is False
    assert envelope["error"]["code"] == "invalid_params"  # type: ignore[index]
    assert envelope["error"]["data"]["field"] == "seconds"  # type: ignore[index]


def test_a_failure_inside_the_core_is_internal(bridge: Bridge) -> None:
    envelope = bridge.call("debug.fail", {"message": "boom"})
    assert envelope["ok"] is False
    assert envelope["error"]["code"] == "internal"


def test_no_core_is_not_found_with_what_to_do(tmp_path: Path, pool: CallPool) -> None:
    bridge = Bridge(lambda: Client.for_home(tmp_path), pool)
    envelope = bridge.call("system.ping")
    assert envelope["ok"] is False
    assert envelope["error"]["code"] == "not_found"
    assert "pajamas core" in envelope["error"]["message"]


def test_a_failure_in_the_shell_is_internal_not_an_exception(bridge: Bridge) -> None:
    # msgpack cannot carry an object: the client raises TypeError before sending.
    envelope = bridge.call("debug.echo", {"value": object()})
    assert envelope["ok"] is False
    assert envelope["error"]["code"] == "internal"
    assert "TypeError" in envelope["error"]["message"]


def test_a_result_json_cannot_carry_is_internal(bridge: Bridge) -> None:
    envelope = bridge.call("debug.echo", {"value": b"\x00\x01"})
    assert envelope["ok"] is False
    assert envelope["error"]["code"] == "internal"
    assert "JSON" in envelope["error"]["message"]
    json.dumps(envelope, allow_nan=False)


def test_calls_from_many_threads_reuse_the_pool_sockets(bridge: Bridge) -> None:
    me = psutil.Process()
    from_new_thread(bridge, "system.ping")
    before = me.num_fds()
    for _ in range(60):
        assert from_new_thread(bridge, "system.ping")["ok"] is True
    # One socket per pywebview thread would be 60 more sockets (and fds); the pool has 2.
    assert me.num_fds() - before < 10


def test_only_call_and_the_file_dialogs_are_exposed_to_the_page(bridge: Bridge) -> None:
    # pywebview exposes every public attribute of the js_api object to JavaScript.
    exposed = [name for name in dir(bridge) if not name.startswith("_")]
    assert exposed == ["call", "choose_files", "choose_paths", "save_file"]


def test_shutting_the_pool_down_releases_calls_in_flight(patient_core: RunningCore) -> None:
    pool = CallPool(WORKERS)
    client = patient_core.client()
    bridge = Bridge(lambda: client, pool)
    out: list[dict[str, object]] = []
    caller = threading.Thread(target=lambda: out.append(dict(
        bridge.call("debug.sleep", {"seconds": HELD_S}))))  # held until the core stops
    caller.start()
    deadline = time.monotonic() + PATIENCE_S
    while pool.wait_idle(0):  # until the call runs on a pool thread
        assert time.monotonic() < deadline, "the call never started"
        time.sleep(0.001)
    pool.shutdown(wait=False, cancel_futures=True)
    caller.join(PATIENCE_S)  # how soon: the benchmark shell.pool_shutdown
    assert not caller.is_alive(), "shutdown did not release the caller"
    assert out[0]["ok"] is False
    assert "closing" in out[0]["error"]["message"]  # type: ignore[index]
    assert not pool.wait_idle(0)  # the worker is still in the call
    after = bridge.call("system.ping")
    assert after["ok"] is False and "closing" in after["error"]["message"]
    assert stop(patient_core.process) == 0  # which ends the held call
    assert pool.wait_idle(PATIENCE_S)
    client.close()


def test_a_bridge_without_dialogs_says_to_use_the_file_input(bridge: Bridge) -> None:
    envelope = dict(bridge.choose_files(["Cards (*.png)"]))
    assert envelope["ok"] is False
    assert "file input" in envelope["error"]["message"]  # type: ignore[index]
