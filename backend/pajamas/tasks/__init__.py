"""Background work: tasks with a kind, a priority, progress and cancellation; staged start-up.

::

    cancel.py    CancelToken and Cancelled: how work stops at its next safe point
    task.py      Task (one unit of background work) and TaskView (what task.* methods return)
    manager.py   TaskManager: a priority queue and a bounded set of runner threads
    methods.py   the task.* methods
    perfrun.py   perf.run and perf.results: the performance suite as a task
    stages.py    Stages: the core's start-up stages, run in order on a background thread
    follow.py    the CLI's progress bar for a task it waits on (rich)

A work function takes the `Task` it runs as and calls ``task.progress(fraction, message)`` and
``task.check_cancelled()`` at safe points::

    def compact(task: Task) -> dict[str, Any]:
        for i, fragment in enumerate(fragments):
            task.progress(i / len(fragments), f"fragment {i}")   # also a safe point
            merge(fragment)
        return {"fragments": len(fragments)}

    task_id = manager.submit("compaction", compact, priority=1)
"""
