"""The performance suite: benchmarks that measure the hub as users feel it.

A benchmark is a function that takes a `Context` and returns a `Measurement` (raw samples in
its unit, plus optional extra figures); the `@benchmark` decorator registers it with its name,
unit and targets.  The runner times a calibration loop, runs the chosen benchmarks, computes
their statistics, checks their targets and records the run as JSON.

Adding a benchmark: write a module in `benchmarks/` and import it in `suite.py`::

    @benchmark(name="memory.search", unit="ms",
               target=[Target("p50", "<=", 20, "a reply searches before the model starts"),
                       Target("p95", "<=", 50, "slow searches too go unnoticed")])
    def search(ctx: Context) -> Measurement:
        "One hybrid search in a persona of 10,000 memories (the docstring describes it)."
        with throwaway_core(ctx.workdir) as client:      # setup: not timed
            ...                                          # fill the persona
            samples = time_calls(lambda: client.call("memory.search", {...}),
                                 ctx.count(1_000), warmup=ctx.count(50), ns_per_unit=NS_PER_MS)
        return Measurement(samples, extra={"memories": 10_000})

Size every loop with `ctx.count(full)`, so tests can run the real benchmark at a small scale.
The runner computes the statistics and checks the targets; a benchmark only measures.  A
target's last argument says why the bound is what it is, in words a user reads in the report.
A benchmark that cannot run here (data the hub may not ship, that no setting names) raises
`NotRun` with a one-line reason: the run records it as not run, neither failed nor broken.

Modules::

    benchmark.py   Target, Context, Measurement, Benchmark: what a benchmark is written against
    registry.py    @benchmark, the registry, --only selection
    suite.py       the one list of benchmark modules (add yours there)
    benchmarks/    the benchmarks, one module per area (rpc, startup, ...)
    cores.py       throwaway cores in temp homes, for benchmarks that need one
    corpus.py      the synthetic chat corpus the memory benchmarks use when no LoCoMo is set
    timing.py      perf_counter_ns helpers
    stats.py       median, percentiles, mean, stdev
    calibration.py the fixed CPU loop every run times, so machines compare as ratios
    record.py      the run's JSON: machine, calibration, benchmarks; where runs are saved
    report.py      the table a person reads
    runner.py      run() and the `pajamas perf run` command
"""
