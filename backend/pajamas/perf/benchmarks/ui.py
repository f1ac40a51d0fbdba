"""Window benchmarks: the memory page at 100,000 memories, the library at 10,000 personas, the
dashboard beside 30 plugin hosts, all in the real window over CDP (`perf/window_session.py`).

The app runs with the default settings (the monitor samples once a second) and the machine's
shared export of the embedding model.  Times are taken by the page's own clock, from the change
(a keystroke's input event, a navigation) to the awaited state painted (`perf/page_probes.py`).
The 100,000 memories are written as memory.search_100k writes them (`perf/big_persona.py`); the
10,000 personas through the core's own PersonaService before the app starts
(`perf/persona_library.py`).  Sizes are knobs scaled by the run's scale (`--scale`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import psutil

from pajamas.config import Settings
from pajamas.perf.benchmark import Context, Measurement
from pajamas.perf.benchmarks.memory import model_folder, texts
from pajamas.perf.big_persona import persona_with_memories
from pajamas.perf.page_probes import SCROLL, SCROLL_FLOOR, TIMED_CHANGE, ScrollReport
from pajamas.perf.persona_library import seed
from pajamas.perf.registry import benchmark
from pajamas.perf.window_session import Window, open_window
from pajamas.rpc.client import Client

WAIT_MS: Final = 60_000
WARMUP: Final = 2
MB: Final = 1024 * 1024
CHECKPOINT_S: Final = 5.0
FLOOR_FRAMES: Final = 200  # the plain box's frames: enough for its p95


def app_settings() -> dict[str, str]:
    """The app's settings: the defaults (driven_app samples faster for tests), the shared
    export of the embedding model."""
    return {"PAJAMAS_SAMPLE_INTERVAL_S": str(Settings().sample_interval_s),
            "PAJAMAS_EMBEDDING_MODEL_DIR": str(model_folder()),
            "PAJAMAS_REQUEST_TIMEOUT_S": "300"}


@contextmanager
def memory_window(ctx: Context) -> Iterator[tuple[Window, int]]:
    """The window on a persona's memory page, the persona holding 100,000 memories (at least
    1,000): (window, memories)."""
    source, size = texts(ctx), ctx.count(100_000, minimum=1_000)
    with open_window(ctx.workdir / "home", **app_settings()) as window:
        persona = persona_with_memories(window.client, window.app.home, source, size)
        window.go(f"#/memory/{persona}")
        window.page.wait_for_function(
            "(n) => document.querySelector('[data-testid=memory-count]')?.textContent.trim()"
            " === `${n} memories`", arg=size, timeout=WAIT_MS)
        yield window, size


@benchmark(name="ui.memory_scroll", unit="ms")
def memory_scroll(ctx: Context) -> Measurement:
    """Frame times while a 100,000-memory list scrolls from top to bottom, a jump a frame.

    Frame times are requestAnimationFrame's deltas.  Extra: the most rows in the DOM at any
    frame (target ≤ 60), the longest task (PerformanceObserver "longtask", target: none over
    50 ms) and how many there were; and the window's floor, the frame times p50 and p95 of a
    plain box of static rows scrolled the same way in the same window (what drawing the frames
    costs on this machine, whatever the list does).  Knobs: memories 100,000 (at least 1,000),
    frames 600.
    """
    steps = ctx.count(600, minimum=30)
    with memory_window(ctx) as (window, size):
        result = window.page.evaluate(SCROLL, {"selector": "[data-testid=memory-list]",
                                               "steps": steps, "settleMs": 1000})
        floor = window.page.evaluate(SCROLL_FLOOR, {"steps": min(steps, FLOOR_FRAMES)})
    report = ScrollReport.of(result, floor)
    return Measurement(report.frames, extra={"memories": size, **report.extra()})


@benchmark(name="ui.memory_search", unit="ms")
def memory_search(ctx: Context) -> Measurement:
    """From a query's keystroke (its input event) to its results painted, 100,000 memories.

    Each query is a new question of the corpus, typed into an empty search box (the list of
    every memory showing), so it includes the page's search delay, the hybrid search
    (embedding included) through the bridge, and the render.  Knobs: memories 100,000 (at
    least 1,000), queries 100.
    """
    asked = texts(ctx).questions[:ctx.count(100, minimum=5) + WARMUP]
    samples = []
    with memory_window(ctx) as (window, size):
        for query in asked:
            _change(window, "input", "", "memoryAll", selector="[data-testid=memory-query]")
            samples.append(_change(window, "input", query, "memoryResults",
                                   selector="[data-testid=memory-query]"))
    return Measurement(samples[WARMUP:], extra={"memories": size})


def _change(window: Window, action: str, value: str, ready: str, *, selector: str = "",
            expect: dict[str, Any] | None = None) -> float:
    """ms from the change to the ready state painted (page_probes.TIMED_CHANGE)."""
    taken: float = window.page.evaluate(TIMED_CHANGE, {
        "action": action, "selector": selector, "value": value, "ready": ready,
        "expect": expect or {}, "timeoutMs": WAIT_MS})
    return taken


@contextmanager
def library_window(ctx: Context) -> Iterator[tuple[Window, int]]:
    """The window on a home holding 10,000 personas (at least 100): (window, personas)."""
    count = ctx.count(10_000, minimum=100)
    seed(ctx.workdir / "home", count)
    with open_window(ctx.workdir / "home", **app_settings()) as window:
        yield window, count


def expected(client: Client, query: str) -> dict[str, Any]:
    """What the library shows for query: its count line and its first persona's id."""
    params: dict[str, Any] = {"sort": "name", "limit": 1}
    if query.strip():
        params["query"] = query.strip()
    found = client.call("persona.list", params)
    total = found["total"]
    count = f"{total} {'persona' if total == 1 else 'personas'}{' match' if query.strip() else ''}"
    return {"count": count, "first": found["items"][0]["id"] if found["items"] else None}


@benchmark(name="ui.personas", unit="ms")
def personas(ctx: Context) -> Measurement:
    """From navigating to the library (from the status page) to 10,000 personas painted.

    Painted: the count line and the first row of the name-sorted list on screen.  Knobs:
    personas 10,000 (at least 100), navigations 10.
    """
    samples = []
    with library_window(ctx) as (window, count):
        everyone = expected(window.client, "")
        for _ in range(ctx.count(10, minimum=2) + 1):
            window.go("#/status")
            window.page.wait_for_selector("[data-testid=status-version]", timeout=WAIT_MS)
            samples.append(_change(window, "hash", "#/personas", "personas", expect=everyone))
    return Measurement(samples[1:], extra={"personas": count})


#: Words typed into the library's search, a letter at a time.
TYPED: Final = ("maya", "lisbon", "lighthouse", "pottery", "kyoto", "fantasy", "sourdough",
                "nurse", "oscar", "harbour", "zainab", "cinema")


Shown = dict[str, Any]


def keystrokes(client: Client, words: tuple[str, ...], count: int) -> list[tuple[str, Shown]]:
    """Up to count (value, what it shows) of typing words a letter at a time, each showing
    something other than the one before (else the page would show no change to time)."""
    found: list[tuple[str, Shown]] = []
    shown = expected(client, "")
    for word in words:
        for end in range(1, len(word) + 1):
            now = expected(client, word[:end])
            if now != shown:
                found.append((word[:end], now))
            shown = now
            if len(found) == count:
                return found
        shown = expected(client, "")
        found.append(("", shown))  # the box is cleared between words
    return found


@benchmark(name="ui.personas.search", unit="ms")
def personas_search(ctx: Context) -> Measurement:
    """From a keystroke in the library's search to its updated results painted, 10,000
    personas.

    Words are typed a letter at a time; a keystroke whose results look the same as the last
    one's is not timed.  Extra: persona.list's own time for the same queries through RPC.
    Knobs: personas 10,000 (at least 100), keystrokes 60.
    """
    samples, rpc = [], []
    with library_window(ctx) as (window, count):
        window.go("#/personas")  # a page loaded on demand: its search box comes after it
        window.page.wait_for_selector("[data-testid=persona-search]", timeout=WAIT_MS)
        typed = keystrokes(window.client, TYPED, ctx.count(60, minimum=5))
        _change(window, "input", "", "personas", selector="[data-testid=persona-search]",
                expect=expected(window.client, ""))
        for value, shown in typed:
            samples.append(_change(window, "input", value, "personas",
                                   selector="[data-testid=persona-search]", expect=shown))
            began = time.perf_counter()
            expected(window.client, value)
            rpc.append((time.perf_counter() - began) * 1000)
    rpc.sort()
    return Measurement(samples, extra={"personas": count, "keystrokes": len(samples),
                                       "rpc_p50_ms": rpc[len(rpc) // 2], "rpc_max_ms": rpc[-1]})


@benchmark(name="ui.dashboard", unit="MB")
def dashboard(ctx: Context) -> Measurement:
    """The dashboard's JS heap growth, after a garbage collection, every 5 s of a minute open
    beside 30 running plugin hosts.

    Extra: the renderer's CPU over the minute (ui.dashboard.cpu's figure) and the hosts still
    running at the end.  Knobs: seconds 60 (at least 5), personas with 3 hosts each 10.
    """
    heap, cpu, hosts = _dashboard_session(ctx, collect=True)
    return Measurement(heap, extra={"renderer_cpu_percent": sum(cpu) / len(cpu),
                                    "hosts": hosts})


@benchmark(name="ui.dashboard.cpu", unit="% of a core")
def dashboard_cpu(ctx: Context) -> Measurement:
    """The window's renderer CPU, per 5 s, over a minute on the dashboard beside 30 plugin
    hosts (no forced garbage collection meanwhile).

    Extra: the heap's growth over the minute and the hosts still running at the end.  Knobs
    as ui.dashboard's.
    """
    heap, cpu, hosts = _dashboard_session(ctx, collect=False)
    return Measurement(cpu, extra={"heap_growth_mb": heap[-1], "hosts": hosts})


def _dashboard_session(ctx: Context, *, collect: bool) -> tuple[list[float], list[float], int]:
    """(heap growth in MB, renderer CPU %) at each checkpoint, and the hosts running at the end;
    collect: a garbage collection before each heap reading (else only before the last)."""
    from pajamas.perf.plugin_fixtures import NOOP, call, install, persona_with  # noqa: PLC0415

    seconds = ctx.count(60, minimum=5)
    with open_window(ctx.workdir / "home", **app_settings()) as window:
        client = window.client
        plugins = [install(client, ctx.workdir, NOOP, f"{NOOP}-{n}") for n in range(3)]
        for _ in range(ctx.count(10, minimum=1)):
            persona = persona_with(client, *plugins)
            for plugin in plugins:
                call(client, persona, plugin, "noop")
        window.go("#/dashboard")
        window.page.wait_for_selector("[data-testid=chart-rss] canvas", timeout=WAIT_MS)
        cdp = window.page.context.new_cdp_session(window.page)
        renderers = _renderers(window)
        heap, cpu = _watch(cdp, renderers, seconds, collect)
        hosts = sum(1 for item in client.call("plugin.status")["items"] if item.get("pid"))
    return heap, cpu, hosts


def _watch(cdp: Any, renderers: list[psutil.Process], seconds: int,
           collect: bool) -> tuple[list[float], list[float]]:
    def heap_mb() -> float:
        cdp.send("HeapProfiler.collectGarbage")
        return float(cdp.send("Runtime.getHeapUsage")["usedSize"]) / MB

    checkpoints = max(1, round(seconds / CHECKPOINT_S))
    start, heap, cpu = heap_mb(), [], []
    busy, clock = _cpu(renderers), time.monotonic()
    for n in range(checkpoints):
        time.sleep(CHECKPOINT_S)
        now_busy, now = _cpu(renderers), time.monotonic()
        cpu.append((now_busy - busy) / (now - clock) * 100)
        busy, clock = now_busy, now
        if collect or n == checkpoints - 1:
            heap.append(heap_mb() - start)
    return heap, cpu


def _renderers(window: Window) -> list[psutil.Process]:
    """The window's Chromium renderers: Qt WebEngine processes forked by its zygote (they keep
    the zygote's command line, so they are told apart by their parent)."""
    window.app.remember_processes()
    found = []
    for pid in window.app.seen:
        try:
            proc = psutil.Process(pid)
            parent = proc.parent()
            if parent is not None and _webengine(proc) and _webengine(parent):
                found.append(proc)
        except psutil.Error:
            continue
    if not found:
        raise RuntimeError("no renderer process found below the app")
    return found


def _webengine(proc: psutil.Process) -> bool:
    return Path(proc.cmdline()[0]).name == "QtWebEngineProcess" if proc.cmdline() else False


def _cpu(procs: list[psutil.Process]) -> float:
    """The processes' CPU seconds so far (user and system)."""
    total = 0.0
    for proc in procs:
        times = proc.cpu_times()
        total += times.user + times.system
    return total
