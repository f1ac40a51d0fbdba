"""Every RPC method called with generated hostile params against one real core.

For each method `system.methods` lists, Hypothesis draws params from its declared params:
values of the right type but hostile (huge texts, NaN and infinities, extreme integers, deep
maps, keys of no param, paths that climb or hold a NUL) and values of any other type, with
required params sometimes left out.  Whatever the draw, the core must answer with a
deliberate error code (never `internal`), keep answering `system.ping`, and a call it
rejects must leave everything stored as it was (a snapshot read through the RPC before and
after).  Params the registry itself must refuse (an unknown key, a missing required param, a
value of another type) must be refused as `invalid_params`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pajamas.errors import HubError
from pajamas.rpc.client import Client
from tests.conftest import PATIENT, ROOT, RunningCore, exported_model, start, stop
from tests.protocol_doc import names, served

# Methods not fuzzed at all, each with its reason.
EXCLUDED: Final = {
    # Protocol test helpers: they hold a worker or fail with `internal` on purpose.
    "debug.echo": "echoes any value back; nothing to validate",
    "debug.sleep": "holds a worker for up to 600 s on purpose",
    "debug.fail": "answers internal on purpose",
    # Stops the core the whole module shares; it takes no params.
    "system.restart": "stops the module's core",
}
# Methods whose valid call starts minutes of CPU work or a model server on this 2-core test
# machine: they are fuzzed with params the registry must refuse (a key of no param is always
# added), so their checking is covered but no valid call runs.
HEAVY: Final = {
    "perf.run": "a valid call runs benchmarks for minutes",
    "chat.send": "a valid call starts the embedded model server",
    "chat.regenerate": "a valid call starts the embedded model server",
    "provider.test": "a valid call starts the embedded model server or dials base_url",
    "memory.reembed": "a valid call re-embeds every memory of a persona",
    "monitor.profile_memory": "a valid call turns tracemalloc on, slowing every later call",
}
# Codes a hostile call may get; anything else (internal above all) is a finding.
ALLOWED: Final = {"invalid_params", "not_found", "bad_request", "too_large", "forbidden",
                  "conflict", "plugin_failed", "quota_exceeded", "provider_failed"}
EXAMPLES: Final = 6
UNKNOWN_KEY: Final = "__fuzz__"
CARD_JSON: Final = ROOT / "examples" / "cards" / "wren-ashdown.json"
CARD_PNG: Final = ROOT / "examples" / "cards" / "wren-ashdown.png"
TEXT_STATS: Final = ROOT / "plugins" / "text-stats"
RELATIVE: Final = "fuzz-relative-path.out"  # must never appear in the core's working folder


@dataclass
class Fuzzed:
    """The module's core, a client, and the names the draws pick from."""

    core: RunningCore
    client: Client
    out: Path
    ada: str = ""
    methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    known: list[str] = field(default_factory=list)

    def refresh_known(self) -> None:
        """The ids and names that exist now: a draw that names them reaches deeper checks."""
        c = self.client
        known = {"embedded", "text-stats", "core.rss", "rpc.ping"}
        for persona in c.call("persona.list", {"limit": 1000})["items"]:
            known |= {persona["id"], persona["name"]}
            for chat in c.call("chat.list", {"persona": persona["id"], "limit": 5})["items"]:
                known.add(chat["id"])
                msgs = c.call("chat.messages", {"conversation": chat["id"], "limit": 5})
                known |= {m["id"] for m in msgs["items"]}
            for memory in c.call("memory.list", {"persona": persona["id"], "limit": 5})["items"]:
                known.add(memory["id"])
        known |= {task["id"] for task in c.call("task.list", {"limit": 5})["items"]}
        self.known = sorted(known)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    """One core for the module, with a persona, memories, a chat and a plugin to aim at."""
    home = tmp_path_factory.mktemp("fuzz") / "home"
    home.mkdir()
    out = tmp_path_factory.mktemp("fuzz-out")
    running = start(home, **PATIENT, **exported_model(), PAJAMAS_WORKERS="4")
    with running.client() as client:
        hub = Fuzzed(running, client, out)
        ada = hub.ada = client.call("persona.import", {"card": CARD_PNG.read_bytes()})["id"]
        client.call("memory.add", {"persona": ada, "text": "Wren keeps bees.", "thread": "t"})
        chat = client.call("chat.create", {"persona": ada, "title": "fuzz"})["id"]
        client.call("chat.import", {"persona": ada, "jsonl": _chat_file()})
        client.call("plugin.install", {"path": str(TEXT_STATS)})
        client.call("plugin.enable", {"persona": ada, "name": "text-stats"})
        assert chat
        hub.methods = {m["name"]: m["params"]
                       for m in client.call("system.methods", {})["items"]}
        hub.refresh_known()
        yield hub
    assert stop(running.process) == 0, (home / "logs" / "core.out").read_text()
    assert not (Path.cwd() / RELATIVE).exists(), "a relative path was written in the core's cwd"


def _chat_file() -> str:
    return ('{"user_name": "You", "character_name": "Wren", '
            '"create_date": "2024-01-15@12h30m45s"}\n'
            '{"name": "You", "is_user": true, "send_date": 1705321845000, "mes": "Hi"}\n'
            '{"name": "Wren", "is_user": false, "send_date": "January 15, 2024 12:31pm", '
            '"mes": "Hello", "swipes": ["Hello", "Hey"], "swipe_id": 0}\n')


# -- the draws ---------------------------------------------------------------------------------

HUGE_INTS: Final = [0, -1, 1, 2**31, -(2**31), 2**53 + 1, 2**63 - 1, -(2**63), 2**64 - 1]
FLOATS: Final = [math.nan, math.inf, -math.inf, 1e308, -1e308, -0.0, 5e-324]
SPECIAL_TEXT: Final = ["", " ", "\0", "\n", "../../etc/passwd", "/", "a/../..", "%s%n", "{{char}}",
                       "/text-stats count {}", "//x", "\u202e", "x" * 70_000]


def _texts(hub: Fuzzed) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(hub.known or ["x"]), st.sampled_from(SPECIAL_TEXT),
                     st.text(max_size=30),
                     st.integers(1_000, 66_000).map(lambda n: "é" * n))


def _paths(hub: Fuzzed) -> st.SearchStrategy[str]:
    """Paths: fresh ones in the out folder, folders, files that exist, and broken ones."""
    return st.one_of(
        st.text("abc.-", min_size=1, max_size=8).map(lambda s: str(hub.out / f"{s}.jsonl")),
        st.sampled_from([str(hub.out), "/", "", "\0", "/a\0b", RELATIVE, "/nonexistent/dir/x.zip",
                         str(CARD_JSON), str(CARD_PNG), str(TEXT_STATS), "/proc/self/status",
                         "/dev/zero", str(hub.out / "x" / ".." / ".." / "y.parquet")]))


def _numbers() -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(HUGE_INTS), st.integers(-1000, 1000),
                     st.sampled_from(FLOATS), st.floats())


def _json_like(hub: Fuzzed) -> st.SearchStrategy[Any]:
    leaves = st.one_of(st.none(), st.booleans(), _numbers(), _texts(hub), st.binary(max_size=16))
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=8), st.binary(max_size=4)), inner,
                        max_size=4)), max_leaves=12)


def _deep(hub: Fuzzed) -> st.SearchStrategy[Any]:
    """A map or list nested up to 300 deep (msgpack packs 511 at most)."""
    def nest(depth: int, as_map: bool) -> Any:
        value: Any = "bottom"
        for _ in range(depth):
            value = {"k": value} if as_map else [value]
        return value
    return st.builds(nest, st.integers(20, 300), st.booleans())


def _anything(hub: Fuzzed) -> st.SearchStrategy[Any]:
    return st.one_of(_json_like(hub), _deep(hub))


def _of_type(hub: Fuzzed, kind: str, name: str) -> st.SearchStrategy[Any]:
    """A value of a declared param type ("str or null", "'a' or 'b'", "map", ...)."""
    options = [one.strip() for one in kind.split(" or ")]
    return st.one_of(*(_one_type(hub, one, name) for one in options))


def _one_type(hub: Fuzzed, kind: str, name: str) -> st.SearchStrategy[Any]:
    if kind.startswith("'"):
        return st.just(kind.strip("'"))
    if kind == "str":
        return _paths(hub) if name == "path" else _texts(hub)
    simple: dict[str, st.SearchStrategy[Any]] = {
        "int": st.one_of(st.sampled_from(HUGE_INTS), st.integers(-1000, 1000)),
        "number": _numbers(), "bool": st.booleans(), "null": st.none(), "any": _anything(hub),
        "bin": st.one_of(st.binary(max_size=64), st.just(CARD_PNG.read_bytes()),
                         st.integers(1, 4000).map(lambda n: CARD_PNG.read_bytes()[:n])),
        "map": st.one_of(st.dictionaries(st.text(max_size=12), _json_like(hub), max_size=5),
                         _deep(hub).map(lambda v: {"deep": v})),
        "list": st.one_of(st.lists(_json_like(hub), max_size=5),
                          st.lists(st.dictionaries(st.sampled_from(
                              ["text", "name", "data", "metadata", "importance", "at"]),
                              _json_like(hub)), max_size=3),
                          _deep(hub).map(lambda v: [v])),
    }
    return simple[kind]


@dataclass(frozen=True)
class Draw:
    """Params for a call, and whether the registry alone must refuse them."""

    params: dict[str, Any]
    must_refuse: bool


@st.composite
def draws(draw: st.DrawFn, hub: Fuzzed, method: str) -> Draw:
    """Params for method: each declared param typed, of another type, or left out."""
    declared: dict[str, Any] = hub.methods[method]
    params: dict[str, Any] = {}
    must_refuse = False
    for name, spec in declared.items():
        choice = draw(st.sampled_from(["typed", "typed", "typed", "wild", "absent"]))
        if choice == "absent" or (choice == "typed" and not spec["required"]
                                  and draw(st.booleans())):
            must_refuse |= spec["required"]
            continue
        if choice == "typed":
            params[name] = draw(_of_type(hub, spec["type"], name))
        else:
            params[name] = value = draw(_anything(hub))
            must_refuse |= not _fits(value, spec["type"])
    if method in HEAVY or draw(st.integers(0, 9)) == 0:
        params[UNKNOWN_KEY] = draw(_anything(hub))
        must_refuse = True
    return Draw(params, must_refuse)


def _fits(value: Any, kind: str) -> bool:
    """Whether value is of the declared type, as the registry reads it."""
    for one in (part.strip() for part in kind.split(" or ")):
        if one.startswith("'") and value == one.strip("'") and type(value) is str:
            return True
        exact = {"str": str, "bool": bool, "map": dict, "list": list, "bin": bytes,
                 "null": type(None), "int": int}.get(one)
        if exact is not None and type(value) is exact:
            return True
        if one == "number" and type(value) in (int, float):
            return True
        if one == "any":
            return True
    return False


# -- the state a rejected call must leave alone -------------------------------------------------

_VOLATILE: Final = ("memory_count", "last_used_at", "accessed_at", "writing", "rss",
                    "cpu_percent", "value")


def snapshot(client: Client) -> dict[str, Any]:
    """What the hub stores, read through the RPC: personas, their memories, chats, plugins,
    grants, providers and settings (fields that change on their own left out)."""
    state: dict[str, Any] = {"personas": {}}
    for persona in client.iter_items("persona.list", {"limit": 1000}):
        pid = persona["id"]
        state["personas"][pid] = {
            "persona": _stable(client.call("persona.get", {"id": pid})),
            "card": client.call("persona.card", {"id": pid}),
            "memories": [_stable(m) for m in client.iter_items(
                "memory.list", {"persona": pid, "limit": 1000})],
            "chats": {c["id"]: (_stable(c), client.call(
                "chat.messages", {"conversation": c["id"], "limit": 1000})["items"])
                for c in client.iter_items("chat.list", {"persona": pid, "limit": 1000})},
            "plugins": client.call("plugin.enabled", {"persona": pid}),
            "grants": client.call("chat.tool_grants", {"persona": pid}),
        }
    state["plugins"] = client.call("plugin.list", {"limit": 1000})
    state["providers"] = client.call("provider.list", {})
    state["settings"] = [(s["name"], s["next_value"]) for s in
                         client.call("settings.list", {"limit": 1000})["items"]]
    return state


def _stable(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in _VOLATILE}


# -- the tests ---------------------------------------------------------------------------------

FUZZED: Final = [name for name in names(served(), "method") if name not in EXCLUDED]


def test_every_served_method_is_fuzzed_or_excluded_with_a_reason(fuzzed: Fuzzed) -> None:
    assert sorted(fuzzed.methods) == sorted([*FUZZED, *EXCLUDED])
    assert set(HEAVY) <= set(FUZZED)


@pytest.mark.parametrize("method", FUZZED)
def test_hostile_params_get_a_deliberate_error_and_change_nothing(fuzzed: Fuzzed,
                                                                   method: str) -> None:
    fuzzed.refresh_known()
    # The state before each call: the state after the one before (one snapshot a call).
    last = [snapshot(fuzzed.client)]

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=(Phase.explicit, Phase.generate),  # shrinking a core's calls is slow
              suppress_health_check=list(HealthCheck))
    @given(draws(fuzzed, method))
    def check(drawn: Draw) -> None:
        shown = f"{method}({_show(drawn.params)})"
        try:
            fuzzed.client.call(method, drawn.params)
        except HubError as exc:
            assert exc.code in ALLOWED, f"{shown} -> {exc.code}: {exc}"
            if drawn.must_refuse:  # too_large: the core refused to read it at all
                assert exc.code in ("invalid_params", "too_large"), f"{shown} -> {exc.code}"
            now = snapshot(fuzzed.client)
            assert now == last[0], f"{shown} was refused ({exc.code}) but changed the hub"
        else:
            assert not drawn.must_refuse, f"{shown} was accepted"
            now = snapshot(fuzzed.client)
        last[0] = now
        assert fuzzed.client.call("system.ping", {})["pong"] is True

    check()


ADA: Final = "<ada>"  # the fixture's persona's id
HUGE_DATES: Final = ('{"user_name": "You", "character_name": "Wren"}\n'
                     '{"mes": "a", "send_date": 1%s}\n{"mes": "b", "send_date": 1e400}\n'
                     '{"mes": "c", "send_date": "9999-12-31T23:59:59-23:59"}\n' % ("0" * 400))
# Calls the fuzzing found answered `internal` (or writing where it should not), each with the
# param the refusal must name; they run every time, whatever the draws.
FOUND: Final = [
    ("plugin.list", {"offset": 2**64 - 1}, "offset"),
    ("persona.list", {"offset": 2**63}, "offset"),
    ("memory.list", {"persona": ADA, "limit": 2**63}, "limit"),
    ("monitor.watch", {"pid": -182, "role": "shell"}, "pid"),
    ("monitor.watch", {"pid": 0, "role": "shell"}, "pid"),
    ("persona.export", {"id": ADA, "path": "/a\0b"}, "path"),
    ("persona.export", {"id": ADA, "path": RELATIVE}, "path"),
    ("persona.export", {"id": ADA, "path": "/"}, "path"),
    ("persona.export", {"id": ADA, "path": "/nonexistent/dir/card.json"}, "path"),
    ("settings.set", {"name": "request_timeout_s", "value": math.nan}, None),
    ("settings.set", {"name": "request_timeout_s", "value": math.inf}, None),
    ("settings.set", {"name": "workers", "value": 2**63}, None),
]


@pytest.mark.parametrize(("method", "params", "field"), FOUND)
def test_what_fuzzing_found_is_refused_naming_the_param(fuzzed: Fuzzed, method: str,
                                                        params: dict[str, Any],
                                                        field: str | None) -> None:
    params = {k: fuzzed.ada if v == ADA else v for k, v in params.items()}
    before = snapshot(fuzzed.client)
    with pytest.raises(HubError) as caught:
        fuzzed.client.call(method, params)
    assert caught.value.code == "invalid_params", caught.value
    if field is not None:
        assert caught.value.data.get("field") == field, caught.value
    assert snapshot(fuzzed.client) == before
    assert not (Path.cwd() / RELATIVE).exists()


def test_a_chat_file_with_dates_past_any_calendar_imports_and_exports(fuzzed: Fuzzed) -> None:
    chat = fuzzed.client.call("chat.import", {"persona": fuzzed.ada, "jsonl": HUGE_DATES})
    exported = fuzzed.client.call("chat.export", {"conversation": chat["id"]})["jsonl"]
    assert [line.count('"mes"') for line in exported.splitlines()[1:]] == [1, 1, 1]
    fuzzed.client.call("chat.delete", {"conversation": chat["id"]})


def _show(value: Any, depth: int = 0) -> Any:
    """value for a failure's message: long texts and deep nests abridged."""
    if isinstance(value, str | bytes) and len(value) > 40:
        return f"<{type(value).__name__} of {len(value)}: {value[:20]!r}...>"
    if depth > 4:
        return "<nested...>"
    if isinstance(value, dict):
        return {_show(k, depth + 1): _show(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_show(v, depth + 1) for v in value]
    return value
