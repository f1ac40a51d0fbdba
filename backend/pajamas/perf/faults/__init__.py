"""Fault scenarios: the hub under kill -9, dying children and jumping clocks.

Each scenario runs real parts (a core process, its plugin hosts, the embedded model server),
injects one fault at a moment an event chooses (the Nth acknowledged add, a task's progress, a
file appearing), and returns an `Outcome`: whether the hub survived, how many acknowledged
writes it lost, and how long it took to serve again.  The tests run them small; the `chaos.*`
benchmarks (perf/benchmarks/chaos.py) run them at full size over randomized trials.

    outcome.py     what a scenario found (`Outcome`) and the benchmark's `Measurement` of it
    hub.py         a core that can be killed with SIGKILL and started again on the same home
    ledger.py      acknowledged writes, and how they compare with what the hub lists after
    core_kill.py   kill -9 of the core during adds, import, compaction, consolidation, backup
    plugin_kill.py kill -9 of plugin hosts in the middle of calls
    model_death.py the embedded model's server dying in the middle of a reply
"""
