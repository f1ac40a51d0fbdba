"""Background work: tasks with a kind, a priority, progress and cancellation.

::

    cancel.py    CancelToken and Cancelled: how work stops at its next safe point
    task.py      Task (one unit of background work) and TaskView (what task.* methods return)
    manager.py   TaskManager: a priority queue and a bounded set of runner threads
    methods.py   the task.* methods, and `install`: the "tasks" start-up stage
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
