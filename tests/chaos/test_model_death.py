"""The embedded model's real server killed mid-reply: the reply ends with an error, stored on
its message, and the next message starts the server again (pajamas.perf.faults)."""

from __future__ import annotations

from pathlib import Path

from pajamas.perf.faults.model_death import available, kill_model_mid_reply


def test_a_reply_cut_by_the_model_server_dying_ends_in_an_error_and_the_next_one_works(
        tmp_path: Path) -> None:
    # make setup installs a server that runs here: one that cannot is a failure, not a skip
    # (the benchmark alone reports "not run" on a user's machine that lacks it).
    assert available() is None, available()
    for outcome in kill_model_mid_reply(tmp_path, trials=1):
        outcome.check()
