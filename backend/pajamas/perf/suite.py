"""The benchmark modules of the suite: add a new module here.

Importing a module registers its `@benchmark` functions with `registry.REGISTRY`; they run in
the order they were registered (import order, then definition order within a module).
"""

from __future__ import annotations

from pajamas.perf.benchmarks import (
    cache,
    chaos,
    chaos_corruption,
    chaos_disk,
    chat,
    load,
    maintenance,
    memory,
    memory_scale,
    monitor,
    plugins,
    rpc,
    shell,
    startup,
    ui,
    window,
)

MODULES = (rpc, startup, window, shell, monitor, cache, memory, memory_scale, maintenance,
           plugins, chat, ui, load, chaos, chaos_corruption, chaos_disk)
