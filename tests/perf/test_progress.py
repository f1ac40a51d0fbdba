"""What a run shows as it goes: a line per benchmark, or a rich progress bar with the time left."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from pajamas.perf import history, runner
from pajamas.perf.budgets import Budgets
from pajamas.perf.progress import Bar, Lines
from tests.perf.test_history_and_report import fake_registry, two_runs


def test_lines_say_each_benchmark_and_how_it_ended() -> None:
    said: list[str] = []
    runner.run(registry=fake_registry(), scale=0.05, budgets=Budgets(), observer=Lines(said.append))
    assert said[0].startswith("calibration: median ")
    assert "running rpc.fake (1/3) …" in said
    assert any(line.startswith("  rpc.fake: 20 samples in ") for line in said)
    assert "  ui.fake unsupported here: no display here" in said


def test_the_bar_names_the_benchmark_and_the_time_left_from_the_last_run(
        tmp_path: Path) -> None:
    two_runs(tmp_path)
    names = ["rpc.fake", "cache.fake", "ui.fake"]
    expected = history.expected_durations(tmp_path, names, 0.05, 1)
    assert set(expected) == set(names)
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120, color_system=None)
    bar = Bar(names, expected, console=console)
    plan = runner.plan("full", registry=fake_registry(), scale=0.05, budgets=Budgets())
    try:
        runner.execute(plan, bar)
        left = bar.time_left(0)
    finally:
        bar.close()
    assert left.startswith("about ") and left.endswith(" left")
    assert "ui.fake unsupported here: no display here" in screen.getvalue()
    assert "running" in screen.getvalue()


def test_the_command_draws_the_bar_only_on_a_terminal(tmp_path: Path) -> None:
    out = io.StringIO()
    code = runner.run_cli(None, None, scale=0.05, registry=fake_registry(), home=tmp_path,
                          out=out, bar=False)
    assert code == 0 and "running rpc.fake (1/3)" in out.getvalue()
