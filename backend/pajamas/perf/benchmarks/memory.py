"""Memory benchmarks: add and search latency through RPC, ingest rate, model load, recall.

Set-up (not timed): the embedding model is exported to ONNX once per machine, in a folder
under the temp dir, and each throwaway core's `settings.toml` points at it, as a set-up script
would.  The texts are chat turns and questions about them (`Texts`): LoCoMo's, real
conversations, when the setting `locomo_path` names its file (its licence, CC BY-NC 4.0, keeps
it out of the hub), else the synthetic corpus that ships with the hub (perf/corpus.py).  Each
benchmark records which in its extra figures ("corpus": "locomo" or "synthetic"): their figures
compare only within a corpus.  memory.recall scores LoCoMo's own answers, so it alone needs
LoCoMo: without it, it is reported as not run.
"""

from __future__ import annotations

import functools
import json
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pajamas.errors import ConfigError
from pajamas.perf import corpus as synthetic
from pajamas.perf.benchmark import Context, Measurement, NotRun
from pajamas.perf.cores import throwaway_core
from pajamas.perf.registry import benchmark
from pajamas.perf.stats import percentile
from pajamas.perf.timing import NS_PER_MS, NS_PER_S, time_calls
from pajamas.rpc.client import Client

if TYPE_CHECKING:
    from pajamas.embedding.runtime import OnnxEmbedder

NO_LOCOMO: Final = ("scores LoCoMo's questions against their evidence, so needs its "
                    "locomo10.json (snap-research/LoCoMo; CC BY-NC 4.0, so not shipped): give "
                    "--data PATH or set locomo_path to run it")
LOCOMO_QUESTIONS: Final = 1_986  # as many synthetic questions as LoCoMo asks
BATCH: Final = 500
LONG_S: Final = 300.0  # a 500-memory batch on a busy shared machine can take over 30 s


#: Where the machine's one export of the model lives (benchmark cores and tests share it).
MODEL_FOLDER: Final = Path(tempfile.gettempdir()) / "pajamas-perf-model" / "all-MiniLM-L6-v2"


def model_folder() -> Path:
    """The ONNX export every benchmark core uses (made once per machine)."""
    from pajamas.embedding.export import export  # noqa: PLC0415

    return export(MODEL_FOLDER)


@contextmanager
def memory_core(workdir: Path, settings: Mapping[str, str] | None = None) -> Iterator[Client]:
    """A throwaway core whose settings point at the shared export (plus settings given as
    PAJAMAS_* variables)."""
    home = workdir / "home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.toml").write_text(f'embedding_model_dir = "{model_folder()}"\n'
                                        f"request_timeout_s = {LONG_S}\n", encoding="utf-8")
    with throwaway_core(workdir, settings=settings) as client:
        yield client


def locomo_file(ctx: Context) -> Path:
    """The LoCoMo file `--data` or the setting `locomo_path` names; `NotRun` when neither does."""
    if ctx.data is not None:
        if not ctx.data.is_file():
            raise ConfigError(f"--data names {ctx.data}, which is not a file; point it at "
                              "LoCoMo's data/locomo10.json", setting="locomo_path")
        return ctx.data
    named = ctx.settings.locomo_path.strip()
    if not named:
        raise NotRun(NO_LOCOMO)
    path = Path(named).expanduser()
    if not path.is_file():
        raise ConfigError(f"setting locomo_path names {path}, which is not a file; point it at "
                          "LoCoMo's data/locomo10.json", setting="locomo_path")
    return path


def locomo(path: Path) -> list[dict[str, Any]]:
    """The LoCoMo conversations in path (a locomo10.json)."""
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def turn_texts(path: Path) -> list[str]:
    """Every LoCoMo turn in path as "speaker: text" (5,882 of them)."""
    from pajamas.perf.benchmarks.locomo import turns  # noqa: PLC0415

    return [turn.text for conversation in locomo(path) for turn in turns(conversation)]


@dataclass(frozen=True)
class Texts:
    """What the memory benchmarks store and search: turns, questions, and whose they are."""

    corpus: str  # "locomo" or "synthetic": recorded with the figures
    turns: list[str]
    questions: list[str]

    @property
    def extra(self) -> dict[str, float | str]:
        """The extra figure that says which corpus a run used."""
        return {"corpus": self.corpus}


def texts(ctx: Context) -> Texts:
    """LoCoMo's turns and questions when the setting `locomo_path` is set (`ConfigError` if it
    names no file), else the synthetic corpus's: as many turns and questions as LoCoMo's."""
    if ctx.data is not None or ctx.settings.locomo_path.strip():
        path = locomo_file(ctx)
        return Texts("locomo", turn_texts(path), questions(path))
    return _synthetic()


@functools.cache
def _synthetic() -> Texts:
    """The synthetic corpus, made once per process (a second or so on a busy machine)."""
    return Texts("synthetic", synthetic.turns(synthetic.TURNS),
                 synthetic.questions(LOCOMO_QUESTIONS))


def corpus(source: Texts, size: int) -> list[str]:
    """size distinct texts: source's turns, numbered past the first round."""
    turns = source.turns
    return [turns[n % len(turns)] + ("" if n < len(turns) else f" ({n // len(turns)})")
            for n in range(size)]


def questions(path: Path) -> list[str]:
    """The questions of the LoCoMo file path."""
    return [qa["question"] for conversation in locomo(path) for qa in conversation["qa"]]


@functools.cache
def _floor_model() -> OnnxEmbedder:
    """The bare model the floors are timed with, loaded once per process (repetitions of a
    benchmark share it)."""
    from pajamas.embedding.runtime import OnnxEmbedder  # noqa: PLC0415

    return OnnxEmbedder(model_folder())


def onnx_floor(texts: list[str]) -> dict[str, float]:
    """The bare model in this process, now: one text's p50 (ms) and a batch's texts/s.

    The machine is shared: these floors, measured in the same run, say how much of a figure
    is the model's own time.
    """
    model = _floor_model()
    feed = iter(texts * 2)  # one text at a time, as the benchmark's own texts come
    singles = sorted(time_calls(lambda: model.embed([next(feed)]), min(len(texts), 40),
                                warmup=2, ns_per_unit=NS_PER_MS))
    start = time.perf_counter_ns()
    model.embed(texts)
    return {"onnx_one_p50_ms": percentile(singles, 50),
            "onnx_batch_per_s": len(texts) * NS_PER_S / (time.perf_counter_ns() - start)}


def as_embedded(said: list[str]) -> list[str]:
    """said as the hub embeds texts added now: each behind today's date (`dates.dated`)."""
    from pajamas.memory.dates import dated  # noqa: PLC0415

    now = time.time()
    return [dated(text, now) for text in said]


@benchmark(name="memory.add", unit="ms")
def add(ctx: Context) -> Measurement:
    """One `memory.add` through RPC, embedding its (new) text included, once memory is open.

    Adds that come while the store still opens after a start are journaled and do not wait
    for it (`memory.embedder_ready` times the first), but they share the CPU with the LanceDB
    import; a read first waits for the store, so these are the adds of a running hub.
    Extra: the bare model's time for one of these texts, now, in this process (the floor),
    given the text the hub embeds: behind the date it happened (`as_embedded`).
    """
    source = texts(ctx)
    said = corpus(source, ctx.count(300, minimum=20) + 10)
    with memory_core(ctx.workdir) as client:
        persona = client.call("persona.create", {"name": "bench"})["id"]
        client.call("memory.stats", {"persona": persona}, timeout=LONG_S)  # store open
        feed = iter(said)

        def one() -> None:
            client.call("memory.add", {"persona": persona, "text": next(feed)})

        samples = time_calls(one, len(said) - 10, warmup=10, ns_per_unit=NS_PER_MS)
    return Measurement(samples, extra={
        "onnx_one_p50_ms": onnx_floor(as_embedded(said[:40]))["onnx_one_p50_ms"],
        **source.extra})


@benchmark(name="memory.add_batch", unit="memories/s", better="higher")
def add_batch(ctx: Context) -> Measurement:
    """Memories ingested per second by `memory.add_batch` of 500 new texts at a time.

    Extra: the bare model's rate on the same 500 texts as the hub embeds them, now, in this
    process (the floor).
    """
    batches = ctx.count(8, minimum=2)
    source = texts(ctx)
    said = corpus(source, BATCH * (batches + 1))
    with memory_core(ctx.workdir) as client:
        persona = client.call("persona.create", {"name": "bench"})["id"]
        client.call("memory.stats", {"persona": persona}, timeout=LONG_S)  # store open
        samples = []
        for n in range(batches + 1):
            items = [{"text": text} for text in said[n * BATCH:(n + 1) * BATCH]]
            start = time.perf_counter_ns()
            client.call("memory.add_batch", {"persona": persona, "items": items},
                        timeout=LONG_S)
            if n:  # the first batch loads the model: a warm-up
                samples.append(BATCH * NS_PER_S / (time.perf_counter_ns() - start))
    return Measurement(samples, extra={**onnx_floor(as_embedded(said[:BATCH])), **source.extra})


@benchmark(name="memory.search", unit="ms")
def search(ctx: Context) -> Measurement:
    """One hybrid `memory.search`, top 10, through RPC, the query's embedding included.

    The persona holds the corpus's turns (5,882 at full scale, as LoCoMo has; memory.search_100k
    measures 100,000), the queries are its questions.  Extra: the same queries again with their
    embeddings cached, after an add that turned the cached results stale (so each search runs,
    with no model time).
    """
    source = texts(ctx)
    size, queries = ctx.count(5_882, minimum=200), source.questions[:ctx.count(400, minimum=20)]
    with memory_core(ctx.workdir) as client:
        persona = client.call("persona.create", {"name": "bench"})["id"]
        docs = corpus(source, size)
        for start in range(0, size, BATCH):
            client.call("memory.add_batch", {"persona": persona, "items": [
                {"text": t} for t in docs[start:start + BATCH]]}, timeout=LONG_S)
        feed = iter(queries * 2)

        def one() -> None:
            client.call("memory.search", {"persona": persona, "query": next(feed)})

        samples = time_calls(one, len(queries), ns_per_unit=NS_PER_MS)
        client.call("memory.add", {"persona": persona, "text": "a change: results go stale"})
        cached = time_calls(one, len(queries), ns_per_unit=NS_PER_MS)
    ordered = sorted(cached)
    return Measurement(samples, extra={"memories": size,
                                       "cached_p50_ms": percentile(ordered, 50),
                                       "cached_p95_ms": percentile(ordered, 95),
                                       **source.extra})


@benchmark(name="memory.search_after_adds", unit="ms")
def search_after_adds(ctx: Context) -> Measurement:
    """Hybrid `memory.search` right after 200 single adds to a 1,000-memory persona.

    Each add commits a small fragment and leaves its row outside the full-text index until the
    background compaction (memory.compact, started by itself) catches up.  Extra: the p50 before
    the adds and once the compaction is done, and the table's fragments at each point.
    """
    source = texts(ctx)
    queries = iter(source.questions * 3)
    docs = corpus(source, 1_200)
    with memory_core(ctx.workdir) as client:
        persona = client.call("persona.create", {"name": "bench"})["id"]
        for start in (0, BATCH):
            client.call("memory.add_batch", {"persona": persona, "items": [
                {"text": t} for t in docs[start:start + BATCH]]}, timeout=LONG_S)
        settled = compacted(client, persona)

        def one() -> None:
            client.call("memory.search", {"persona": persona, "query": next(queries)})

        before = time_calls(one, ctx.count(100, minimum=10), ns_per_unit=NS_PER_MS)
        for text in docs[1_000:]:
            client.call("memory.add", {"persona": persona, "text": text})
        piled = client.call("memory.stats", {"persona": persona})["fragments"]
        after = time_calls(one, ctx.count(100, minimum=10), ns_per_unit=NS_PER_MS)
        final = compacted(client, persona)
        later = time_calls(one, ctx.count(100, minimum=10), ns_per_unit=NS_PER_MS)
    return Measurement(after, extra={
        "before_p50_ms": percentile(sorted(before), 50), "fragments_before": settled,
        "fragments_after_adds": piled, "compacted_p50_ms": percentile(sorted(later), 50),
        "compacted_p95_ms": percentile(sorted(later), 95), "fragments_compacted": final,
        **source.extra})


def compacted(client: Client, persona: str, *, timeout_s: float = 120.0) -> int:
    """Compact persona's table (`memory.maintain`) and wait for the task: its fragments."""
    task = client.call("memory.maintain", {"persona": persona})["task"]
    deadline = time.monotonic() + timeout_s
    while client.call("task.get", {"id": task})["state"] in ("queued", "running"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"memory.compact task {task} ran over {timeout_s:g} s")
        time.sleep(0.05)
    fragments: int = client.call("memory.stats", {"persona": persona})["fragments"]
    return fragments


@benchmark(name="memory.embedder_ready", unit="ms")
def embedder_ready(ctx: Context) -> Measurement:
    """From a new core's first `memory.add` (sent as soon as it answers) to its reply.

    That add comes before the store is open (importing LanceDB takes about 2 s of CPU, mostly
    its REST namespace client's models), so it is embedded as soon as the model has loaded,
    journaled (fsynced) and acknowledged, while the store opens behind it (memory/early.py).
    Extra: the model's own load time (`load_s` of memory.embedder), median.
    """
    samples, loads = [], []
    for n in range(ctx.count(3, minimum=1)):
        with memory_core(ctx.workdir / str(n)) as client:
            persona = client.call("persona.create", {"name": "bench"})["id"]
            start = time.perf_counter_ns()
            client.call("memory.add", {"persona": persona, "text": "the first memory"},
                        timeout=LONG_S)
            samples.append((time.perf_counter_ns() - start) / NS_PER_MS)
            loads.append(client.call("memory.embedder")["load_s"] * 1000)
    return Measurement(samples, extra={"model_load_p50_ms": percentile(sorted(loads), 50)})


@benchmark(name="memory.recall", unit="recall@10", better="higher")
def recall(ctx: Context) -> Measurement:
    """LoCoMo evidence recall@10 of hybrid search, one sample per question (categories 1-4).

    It scores LoCoMo's own questions against their evidence turns: no other corpus will do,
    so without the setting `locomo_path` it is not run.  Extra: recall@1/5/10 of vector, text
    and hybrid search, per category and overall.
    """
    from pajamas.perf.benchmarks.locomo import evaluate  # noqa: PLC0415

    conversations = locomo(locomo_file(ctx))[:ctx.count(10, minimum=1)]
    result = evaluate(conversations, model_folder(), ctx.workdir / "memory")
    return Measurement(result.samples, extra=result.figures)
