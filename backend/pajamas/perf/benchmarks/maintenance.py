"""Memory maintenance benchmarks: consolidation, export and import, as tasks through RPC.

Each sample is the time from the method's call to its task's end (polled with task.get).
The personas hold chat turns (LoCoMo's or the synthetic corpus's, as in memory.py; the extra
figure "corpus" says which; adding them is not timed).  The bounds: a maintenance task of a
persona of LoCoMo's size (5,882 memories, months of chats) should take seconds, not minutes.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Final

from pajamas.perf.benchmark import Context, Measurement
from pajamas.perf.benchmarks.memory import corpus, memory_core, texts
from pajamas.perf.registry import benchmark
from pajamas.perf.timing import NS_PER_S
from pajamas.rpc.client import Client

POLL_S: Final = 0.02
SETUP_BATCH: Final = 100  # memories a set-up add_batch: within the request timeout under load
SETUP_S: Final = 300.0  # the client's wait for one (the first also waits for the model)


def finished(client: Client, reply: dict[str, Any]) -> dict[str, Any]:
    """The task's view once it has finished; raises if it did not succeed."""
    while True:
        view: dict[str, Any] = client.call("task.get", {"id": reply["task"]})
        if view["state"] == "done":
            return view
        if view["state"] in ("failed", "cancelled"):
            raise RuntimeError(f"task {view['id']} {view['state']}: {view['error']}")
        time.sleep(POLL_S)


def timed(client: Client, method: str, params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """(seconds from the call to its task's end, the task's result)."""
    start = time.perf_counter_ns()
    view = finished(client, client.call(method, params))
    return (time.perf_counter_ns() - start) / NS_PER_S, view["result"]


def filled(client: Client, name: str, texts: list[str]) -> str:
    """A new persona holding texts; its id."""
    persona: str = client.call("persona.create", {"name": name})["id"]
    for start in range(0, len(texts), SETUP_BATCH):
        client.call("memory.add_batch", {"persona": persona, "items": [
            {"text": text} for text in texts[start:start + SETUP_BATCH]]}, timeout=SETUP_S)
    return persona


def seeded(client: Client, workdir: Path, texts: list[str]) -> tuple[str, Path]:
    """A persona holding texts, and its export with vectors (to copy it without embedding)."""
    source = filled(client, "source", texts)
    path = workdir / "source.jsonl"
    timed(client, "memory.export", {"persona": source, "path": str(path),
                                    "include_vectors": True})
    return source, path


@benchmark(name="memory.consolidate", unit="s")
def consolidate(ctx: Context) -> Measurement:
    """`memory.consolidate` of a persona of chat turns plus 5% near-duplicates, call to end.

    Each round consolidates a fresh copy (imported with its vectors, untimed).  Extra:
    memories, merged and superseded (of the last round).
    """
    source = texts(ctx)
    said = corpus(source, ctx.count(5_882, minimum=200))
    said += [text.upper() for text in said[::20]]  # same words, another case: duplicates
    samples: list[float] = []
    result: dict[str, Any] = {}
    with memory_core(ctx.workdir) as client:
        _, path = seeded(client, ctx.workdir, said)
        for n in range(ctx.count(3, minimum=1)):
            persona = client.call("persona.create", {"name": f"copy{n}"})["id"]
            timed(client, "memory.import", {"persona": persona, "path": str(path)})
            seconds, result = timed(client, "memory.consolidate", {"persona": persona})
            samples.append(seconds)
    return Measurement(samples, {"memories": float(len(said)),
                                 "merged": float(result["merged"]),
                                 "superseded": float(result["superseded"]), **source.extra})


@benchmark(name="memory.transfer", unit="memories/s", better="higher")
def transfer(ctx: Context) -> Measurement:
    """Memories imported per second by `memory.import` of a JSONL export with vectors.

    Extra: export_per_s (JSONL without vectors, median) and import_no_vectors_per_s (one
    import of the JSONL without vectors; its texts are in the core's embedding cache from the
    set-up, so this is the import's own cost: the model's is memory.add_batch's figure).
    """
    source = texts(ctx)
    said = corpus(source, ctx.count(5_882, minimum=200))
    exports: list[float] = []
    imports: list[float] = []
    with memory_core(ctx.workdir) as client:
        persona, full = seeded(client, ctx.workdir, said)
        for n in range(ctx.count(3, minimum=1)):
            plain = ctx.workdir / f"plain{n}.jsonl"
            seconds, _ = timed(client, "memory.export", {"persona": persona, "path": str(plain)})
            exports.append(len(said) / seconds)
            imports.append(_import_rate(client, f"full{n}", full, len(said)))
        no_vectors = _import_rate(client, "plain", plain, len(said))
    return Measurement(imports, {"export_per_s": _median(exports),
                                 "import_no_vectors_per_s": no_vectors, **source.extra})


def _import_rate(client: Client, name: str, path: Path, count: int) -> float:
    persona = client.call("persona.create", {"name": name})["id"]
    seconds, result = timed(client, "memory.import", {"persona": persona, "path": str(path)})
    if result["imported"] != count:  # a wrong import is no measurement
        raise RuntimeError(f"imported {result['imported']} of {count} memories")
    return count / seconds


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]
