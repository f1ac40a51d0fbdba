"""Plugin benchmarks: a page of `plugin.list` with 1,000 plugins installed.

Set-up (not timed): 1,000 small plugins are installed into the throwaway home's hub.db by the
same `PluginRegistry.install` the core runs, before the core starts.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Final

from pajamas.perf.benchmark import Context, Measurement, Target
from pajamas.perf.cores import throwaway_core
from pajamas.perf.registry import benchmark
from pajamas.perf.timing import NS_PER_MS, time_calls

SOURCE: Final = "issue #5"
PLUGINS: Final = 1000
PAGE: Final = 50
MANIFEST: Final = """\
[plugin]
name = "{name}"
version = "1.0.0"
description = "Benchmark plugin number {number}."
entry = "main.py"
api = 1

[functions.run]
description = "Return one."
pure = true
"""


@benchmark(name="plugin.list", unit="ms", target=Target("p95", "<=", 50, SOURCE))
def list_page(ctx: Context) -> Measurement:
    """One page (50) of `plugin.list` through RPC, 1,000 plugins installed; every 4th searches."""
    calls = ctx.count(400, minimum=20)
    install_many(ctx.workdir / "home", ctx.workdir / "sources", PLUGINS)
    pick = random.Random(5)  # noqa: S311  (sample pages, not a secret)
    with throwaway_core(ctx.workdir) as client:
        client.call("plugin.list", {"limit": 1})  # waits for the plugins stage

        def one_page() -> None:
            params: dict[str, object] = {"offset": pick.randrange(0, PLUGINS - PAGE),
                                         "limit": PAGE}
            if pick.random() < 0.25:
                params = {"query": f"number {pick.randrange(100)}", "limit": PAGE}
            client.call("plugin.list", params)

        samples = time_calls(one_page, calls, warmup=20, ns_per_unit=NS_PER_MS)
    return Measurement(samples, extra={"plugins": PLUGINS, "page": PAGE})


def install_many(home: Path, sources: Path, count: int) -> None:
    """Install count small plugins into home, through the registry the core uses."""
    from pajamas.plugins.manifest import Quotas  # noqa: PLC0415
    from pajamas.plugins.registry import PluginRegistry  # noqa: PLC0415
    from pajamas.store.metadata import MetadataStore  # noqa: PLC0415

    home.mkdir(parents=True, exist_ok=True)
    store = MetadataStore.open(home)
    try:
        registry = PluginRegistry(store, home, Quotas(), require_persona=lambda persona: None)
        for number in range(count):
            registry.install(_source(sources / f"p{number}", f"bench-{number:04d}", number))
    finally:
        store.close()


def _source(folder: Path, name: str, number: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plugin.toml").write_text(MANIFEST.format(name=name, number=number),
                                        encoding="utf-8")
    (folder / "main.py").write_text("def run():\n    return 1\n", encoding="utf-8")
    return folder
