"""The load benchmarks' world: personas with memories and text-stats, and the requests sent.

`build_fleet` makes the personas as the chat benchmarks make theirs (`big_persona`: memories
written straight into each persona's LanceDB table before the core opens it), enables the
bundled text-stats plugin for each and opens a conversation with each.  `Mix` draws the
requests of a mixed load from them: memory.search 50%, memory.add 25%, text-stats'
`count` through plugin.call 15%, and chat.prompt (a reply's prompt built, no model asked) 10%.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pajamas
from pajamas.perf.benchmark import NotRun
from pajamas.perf.benchmarks.memory import Texts
from pajamas.perf.big_persona import persona_with_memories
from pajamas.perf.plugin_fixtures import require_hosts
from pajamas.rpc.client import Client

PLUGIN: Final = "text-stats"


@dataclass(frozen=True)
class Fleet:
    """The personas a load runs against, a conversation of each, and the texts it sends."""

    personas: tuple[str, ...]
    conversations: tuple[str, ...]
    questions: tuple[str, ...]
    turns: tuple[str, ...]


def text_stats_source() -> Path:
    """The bundled text-stats plugin's folder (a source checkout's plugins/); `NotRun` without.

    The bundled plugins ship beside the package in a checkout, not inside the wheel.
    """
    folder = Path(pajamas.__file__).resolve().parents[2] / "plugins" / PLUGIN
    if not (folder / "plugin.toml").is_file():
        raise NotRun(f"calls the bundled {PLUGIN} plugin, whose folder plugins/{PLUGIN} is "
                     "in a source checkout of the hub, not in an installed package")
    return folder


def build_fleet(client: Client, home: Path, source: Texts, personas: int,
                memories: int) -> Fleet:
    """personas new personas of memories memories each, text-stats enabled, a chat each."""
    require_hosts()
    client.call("plugin.install", {"path": str(text_stats_source())})
    ids, chats = [], []
    for n in range(personas):
        persona = persona_with_memories(client, home, source, memories, name=f"load-{n}")
        client.call("plugin.enable", {"persona": persona, "name": PLUGIN})
        ids.append(persona)
        chats.append(client.call("chat.create", {"persona": persona})["id"])
    return Fleet(tuple(ids), tuple(chats), tuple(source.questions), tuple(source.turns))


class Mix:
    """Draws the mixed load's requests; each thread keeps its own (seeded) Mix."""

    def __init__(self, fleet: Fleet, seed: int) -> None:
        self.fleet = fleet
        self._rng = random.Random(seed)  # noqa: S311  (a reproducible load, not a secret)
        self._numbers = itertools.count()
        self._tag = seed

    def next(self) -> tuple[str, dict[str, Any]]:
        """The next request: (method, params)."""
        draw, which = self._rng.random(), self._rng.randrange(len(self.fleet.personas))
        persona = self.fleet.personas[which]
        number = next(self._numbers)
        if draw < 0.50:  # questions repeat now and then, as a page re-rendering asks again
            return "memory.search", {"persona": persona, "query": self._pick(self.fleet.questions)}
        turn = self._pick(self.fleet.turns)
        if draw < 0.75:
            return "memory.add", {"persona": persona, "text": f"{turn} (load {self._tag}.{number})"}
        if draw < 0.90:  # a new text each call: text-stats is pure, a repeat comes from the cache
            return "plugin.call", {"persona": persona, "name": PLUGIN, "function": "count",
                                   "args": {"text": f"{turn} Call {self._tag}.{number}."}}
        return "chat.prompt", {"conversation": self.fleet.conversations[which],
                               "text": self._pick(self.fleet.questions)}

    def _pick(self, texts: tuple[str, ...]) -> str:
        return texts[self._rng.randrange(len(texts))]
