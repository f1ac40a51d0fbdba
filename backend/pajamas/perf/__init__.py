"""The performance suite: benchmarks that measure the hub as users feel it.

A benchmark is a function that takes a `Context` and returns a `Measurement` (raw samples in
its unit, plus optional extra figures); the `@benchmark` decorator registers it with its name,
unit and direction.  Its budget (the targets its figures are held to, each with its reason)
lives in `budgets.toml`, never in its code.  The runner times a calibration loop, runs the
chosen suite, computes the statistics, checks the budgets and saves the run; runs are kept,
compared with statistics, and shown as an HTML report.

Adding a benchmark: write a module in `benchmarks/` and import it in `suite.py`::

    @benchmark(name="memory.search", unit="ms")       # better="higher" for rates and scores
    def search(ctx: Context) -> Measurement:
        "One hybrid search in a persona of 10,000 memories (the docstring describes it)."
        with throwaway_core(ctx.workdir) as client:      # setup: not timed
            ...                                          # fill the persona
            samples = time_calls(lambda: client.call("memory.search", {...}),
                                 ctx.count(1_000), warmup=ctx.count(50), ns_per_unit=NS_PER_MS)
        return Measurement(samples, extra={"memories": 10_000})

and its budget in `budgets.toml`::

    [["memory.search"]]
    stat = "p50"
    op = "<="
    value = 20
    reason = "a reply searches memory before the model starts: 20 ms goes unnoticed"

Size every loop with `ctx.count(full)`, so tests can run the real benchmark at a small scale.
A benchmark that cannot run here (no display, no Linux sandbox, data the hub may not ship)
raises `NotRun` with a one-line reason: the run records it as unsupported here, neither failed
nor broken.  Import what only some machines have inside the function, never at the top.

Modules::

    benchmark.py    Context, Measurement, Benchmark, NotRun: what a benchmark is written against
    registry.py     @benchmark, the registry, --only selection
    suite.py        the one list of benchmark modules (add yours there)
    suites.py       the suites: quick, full and the groups
    benchmarks/     the benchmarks, one module per area (rpc, startup, ...)
    budgets.py      budgets.toml (shipped) and the home's override: the targets and why
    cores.py        throwaway cores in temp homes, for benchmarks that need one
    corpus.py       the synthetic chat corpus the memory benchmarks use when no LoCoMo is set
    timing.py       perf_counter_ns helpers
    stats.py        median, percentiles, mean, stdev
    inference.py    the Mann-Whitney U test and a bootstrap interval of a ratio of medians
    calibration.py  the fixed CPU loop every run times, so machines compare as ratios
    machine.py      the machine record: OS, CPU, cores, memory, Python, hub version, commit
    record.py       the run's JSON: machine, calibration, benchmarks; where runs are saved
    history.py      the saved runs: listing, loading, one benchmark over runs
    compare.py      two runs compared: ratios, intervals, verdicts, geometric means
    report.py       the run as a table a person reads
    html_report.py  the run as one self-contained HTML file with plots
    progress.py     what a run shows as it goes: lines, or a progress bar
    runner.py       plan(), run() and the `pajamas perf run` command
    commands.py     `pajamas perf run|history|compare|report|list`
"""
