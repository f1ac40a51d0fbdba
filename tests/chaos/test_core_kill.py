"""kill -9 of a real core in the middle of memory work: after a restart every acknowledged
memory is listed exactly once, and a backup is whole or absent (pajamas.perf.faults).

A kill during plain adds is tested in tests/memory/test_early.py; here adds (single and
batches, from two clients) go on while the task under test runs, and the kill lands at its
progress event.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pajamas.perf.faults.core_kill import Plan, Work, kill_during


@pytest.mark.parametrize(("work", "plan"), [
    ("import", Plan(seed=2, size=60, fraction=0.3)),
    ("compaction", Plan(seed=3, size=40, extra=1)),
    ("consolidation", Plan(seed=4, size=60)),
    ("backup", Plan(seed=5, size=60)),
])
def test_acknowledged_memories_survive_a_kill_9_exactly_once(
        work: Work, plan: Plan, tmp_path: Path, model_dir: Path) -> None:
    outcome = kill_during(work, tmp_path, model_dir, plan)
    outcome.check()
    if work == "backup":  # the kill landed while the archive was being written
        assert outcome.figures["half_written"] == 1
