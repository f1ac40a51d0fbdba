"""kill -9 of plugin hosts in the middle of calls, while another persona calls the same plugin.

The victim persona's call logs "working <tag>" from inside its host and then waits; that log
line is the moment the host is killed.  The caller must get `plugin_failed` (within a second:
`detect_s`), the next call must run in a fresh host, and the bystander persona's calls, made
all the while, must all be answered.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pajamas.errors import HubError, PluginFailed
from pajamas.perf.faults.hub import KillableHub
from pajamas.perf.faults.outcome import Outcome
from pajamas.perf.faults.traffic import GUARD_S, live_events
from pajamas.perf.plugin_fixtures import call, install, persona_with
from pajamas.rpc.client import Client, Subscriber

FAULT: Final = "kill -9 of a plugin host in the middle of a call"
SLOW: Final = "bench-slow"
DETECT_BOUND_S: Final = 1.0  # a caller of a killed host hears of it within this
HELD_S: Final = 20.0  # the victim's call waits this long in its host: far past the kill
SETTINGS: Final = {"PAJAMAS_WORKERS": "8", "PAJAMAS_REQUEST_TIMEOUT_S": "120",
                   "PAJAMAS_SAMPLE_INTERVAL_S": "0.25"}


@dataclass
class _Bystander:
    """Calls bench-slow for its persona in a thread until stopped; counts what came back."""

    hub: KillableHub
    persona: str
    answered: int = 0
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True, name="chaos-bystander")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(GUARD_S)

    def _run(self) -> None:
        with self.hub.client() as client:
            number = 0
            while not self._stop.is_set():
                number += 1
                try:
                    if call(client, self.persona, SLOW, "work", {"tag": f"b{number}"}) != \
                            f"b{number}":
                        self.errors.append(f"call b{number} answered another result")
                    else:
                        self.answered += 1
                except HubError as exc:
                    self.errors.append(f"call b{number}: {exc.code}: {exc.message}")


def kill_hosts(workdir: Path, *, trials: int, seed: int = 0,
               detect_bound_s: float | None = DETECT_BOUND_S) -> list[Outcome]:
    """Kill the victim's host mid-call in each trial; one `Outcome` per trial.

    A caller that waited longer than detect_bound_s for its plugin_failed is a failure (None:
    not judged, for tests, which leave timing to the benchmark).
    """
    rng = random.Random(seed)  # noqa: S311  (the moment's choice, not a secret)
    hub = KillableHub(workdir / "home", SETTINGS)
    outcomes: list[Outcome] = []
    try:
        with hub.start() as client:
            install(client, workdir, SLOW)
            victims = [persona_with(client, SLOW) for _ in range(2)]
            bystander = _Bystander(hub, persona_with(client, SLOW))
            events = live_events(hub, "plugin.")
            bystander.start()
            try:
                for number in range(trials):
                    victim = rng.choice(victims)
                    outcomes.append(_trial(client, events, victim, f"v{number}", detect_bound_s))
            finally:
                bystander.stop()
                events.close()
            _judge_bystander(bystander, outcomes)
        if hub.stop() != 0:
            outcomes[-1].fail(f"the core did not stop cleanly: {hub.log_tail()}")
    finally:
        hub.stop()
    return outcomes



def _trial(client: Client, events: Subscriber, victim: str, tag: str,
           bound_s: float | None) -> Outcome:
    """One kill: the victim's call must fail at once, and its next call run in a new host."""
    outcome = Outcome(FAULT, acknowledged=1)
    answer: dict[str, Any] = {}

    def victim_call() -> None:
        try:
            answer["result"] = call(client, victim, SLOW, "work", {"tag": tag, "seconds": HELD_S})
        except HubError as exc:
            answer["error"] = exc
        answer["at"] = time.monotonic()

    caller = threading.Thread(target=victim_call, daemon=True, name="chaos-victim")
    caller.start()
    pid = _working_host(client, events, victim, tag)
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    caller.join(GUARD_S)
    if not isinstance(answer.get("error"), PluginFailed):
        outcome.fail(f"the killed host's caller got {answer.get('error') or answer}, not "
                     "plugin_failed")
    detect_s = answer.get("at", time.monotonic()) - killed
    if bound_s is not None and detect_s > bound_s:
        outcome.fail(f"the killed host's caller waited {detect_s:.2f} s for plugin_failed "
                     f"(bound {bound_s:g} s)")
    outcome.figures["detect_s"] = detect_s
    try:
        if call(client, victim, SLOW, "work", {"tag": f"{tag}-after"}) != f"{tag}-after":
            outcome.fail("the call after the kill answered another result")
    except HubError as exc:
        outcome.lost += 1
        outcome.fail(f"the call after the kill failed: {exc.code}: {exc.message}")
    outcome.recovery_s = time.monotonic() - killed
    fresh = _host_pid(client, victim)
    if fresh in (None, pid):
        outcome.fail(f"the call after the kill ran in host {fresh}, not a fresh one")
    return outcome


def _working_host(client: Client, events: Subscriber, persona: str, tag: str) -> int:
    """The pid of persona's host once its call logged "working <tag>"."""
    pid = 0
    deadline = time.monotonic() + GUARD_S
    while (event := events.receive(timeout=max(0.0, deadline - time.monotonic()))):
        if event.data.get("persona") != persona:
            continue
        if event.topic == "plugin.started":
            pid = int(event.data["pid"])
        if event.topic == "plugin.log" and event.data["message"] == f"working {tag}":
            pid = pid or _host_pid(client, persona) or 0
            if not pid:
                raise AssertionError(f"no host of {persona} is known while {tag} works")
            return pid
    raise AssertionError(f"the call {tag} never started working in its host")


def _host_pid(client: Client, persona: str) -> int | None:
    """The pid of persona's live bench-slow host (plugin.status), or None."""
    hosts = client.call("plugin.status", {"persona": persona})["items"]
    live = [h["pid"] for h in hosts if h["name"] == SLOW and h["state"] in ("idle", "busy")]
    return int(live[-1]) if live else None


def _judge_bystander(bystander: _Bystander, outcomes: list[Outcome]) -> None:
    """The bystander's calls count as acknowledged writes; each that failed as one lost."""
    if not outcomes:
        return
    outcomes[0].acknowledged += bystander.answered + len(bystander.errors)
    outcomes[0].lost += len(bystander.errors)
    if bystander.answered == 0:
        outcomes[0].fail("the bystander persona got no answer at all")
    for error in bystander.errors[:3]:
        outcomes[0].fail(f"the bystander persona's {error}")
