"""Observation of the hub's own processes: sampling, history, leak detection, alerts, pressure.

::

    probe.py      ProcessProbe: one process's RSS, USS, CPU, threads, open files (psutil)
    watchlist.py  Watchlist: which processes are sampled, by role and name
    sampler.py    Sampler (one read of every watched process) and SampleLoop (the thread)
    requests.py   the core's requests per second and latency p50/p99, from rpc/stats.py
    history.py    History: every metric's recent points, bounded, in memory
    archive.py    Archive: one point a minute per metric on disk, kept 7 days
    trend.py      Theil-Sen slopes with confidence bounds; steadiness
    leaks.py      LeakDetector: steady growth of RSS, open files or threads
    ceilings.py   value alerts (a process over alert_rss_mb)
    alerts.py     AlertBoard: raise once, clear once, event and log line
    pressure.py   PressureResponder and Shed: give memory back, losing no data
    profiler.py   tracemalloc snapshots on demand
    service.py    Monitor: one tick composes all of the above
    methods.py    the monitor.* methods, and `install`: the "monitor" start-up stage
    commands.py   `pajamas monitor ...`; report.py formats for the terminal

Other features hook in through their `Context` (`pajamas.context`): ``ctx.add_gauge(name,
fn)`` for figures, ``ctx.add_shed(Shed(name, release))`` for memory they can give back; a
feature that starts processes takes the `Watchlist` and calls ``watchlist.watch(pid, role,
name)``.
"""
